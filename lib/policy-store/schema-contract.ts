import type { z } from "zod";
import type { PolicyDecision, PolicyDiff, PolicyRisk, RuleChange } from "@/lib/policy";
import type { decisionSchema, diffResponseSchema, riskSchema, ruleChangeSchema } from "./schemas";

/**
 * Compile-time proof that the pure engine's hand-written types (lib/policy: it has no I/O and its
 * types are its own) and the API's zod schemas (the contract of OpenAPI, handlers and the console)
 * agree. `npx tsc --noEmit` fails on a drift; nothing here runs.
 */

type Assert<T extends true> = T;
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Fits<A, B> = [A] extends [B] ? true : false;

/** Every decision the engine makes is a valid decision of the API document (its named fields; the schema is loose)… */
type DecisionFields = keyof (typeof decisionSchema)["shape"];
export type DecisionFitsSchema = Assert<Fits<Pick<PolicyDecision, DecisionFields>, Pick<z.input<typeof decisionSchema>, DecisionFields>>>;
/** …and the document names no field the engine does not have. */
export type DecisionSchemaNamesEngineFields = Assert<Equals<Exclude<DecisionFields, keyof PolicyDecision>, never>>;

/** The risk of a diff is exactly the schema's. */
export type RiskEqualsSchema = Assert<Equals<PolicyRisk, z.output<typeof riskSchema>>>;

/** A rule change fits the schema, with the same fields. */
export type RuleChangeFitsSchema = Assert<Fits<RuleChange, z.input<typeof ruleChangeSchema>>>;
export type RuleChangeSameFields = Assert<Equals<keyof RuleChange, keyof z.output<typeof ruleChangeSchema>>>;

/** The structural part of a diff response is the engine's PolicyDiff. */
type DiffPart = "rule_changes" | "risk" | "headline";
export type DiffFitsSchema = Assert<Fits<Pick<PolicyDiff, DiffPart>, Pick<z.input<typeof diffResponseSchema>, DiffPart>>>;
export type DiffFieldsInSchema = Assert<Equals<Exclude<keyof PolicyDiff, keyof z.output<typeof diffResponseSchema>>, never>>;
