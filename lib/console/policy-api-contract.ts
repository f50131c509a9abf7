import type { z } from "zod";
import type { auditPageSchema } from "@/lib/audit/schemas";
import type {
  applyResponseSchema,
  diffResponseSchema,
  draftViewSchema,
  promoteResponseSchema,
  rollbackResponseSchema,
  simulateResponseSchema,
  validateResponseSchema,
  versionsResponseSchema,
} from "@/lib/policy-store/schemas";
import type { ApplyResult, AuditRecord, DiffResult, PromoteResult, RollbackResult, ServerDraft, SimDecision, SimulateResult, ValidateResult, VersionsPage } from "./policy-api";

/**
 * Compile-time proof that every answer the routes' response schemas accept is a value the studio's
 * own types describe (policy-api.ts checks answers with those schemas at run time, then hands them
 * on under these types). `npx tsc --noEmit` fails on a drift; nothing here runs.
 */
type Assert<T extends true> = T;
type Fits<A, B> = [A] extends [B] ? true : false;

export type ValidateFits = Assert<Fits<z.output<typeof validateResponseSchema>, ValidateResult>>;
type SimulateAnswer = z.output<typeof simulateResponseSchema>;
export type SimulateFits = Assert<Fits<Omit<SimulateAnswer, "decision">, Omit<SimulateResult, "decision">>>;
/** The decision's fields; its trace is the engine's, which the document leaves open (unknown[]). */
type DecisionKeys = Exclude<keyof SimDecision, "trace" | "error">;
export type SimDecisionFits = Assert<Fits<Pick<NonNullable<SimulateAnswer["decision"]>, DecisionKeys>, Pick<SimDecision, DecisionKeys>>>;
export type DiffFits = Assert<Fits<z.output<typeof diffResponseSchema>, DiffResult>>;
export type ApplyFits = Assert<Fits<z.output<typeof applyResponseSchema>, ApplyResult>>;
export type RollbackFits = Assert<Fits<z.output<typeof rollbackResponseSchema>, RollbackResult>>;
export type VersionsFits = Assert<Fits<z.output<typeof versionsResponseSchema>, VersionsPage>>;
export type PromoteFits = Assert<Fits<z.output<typeof promoteResponseSchema>, PromoteResult>>;
export type DraftFits = Assert<Fits<z.output<typeof draftViewSchema>, ServerDraft>>;
export type AuditRecordFits = Assert<Fits<z.output<typeof auditPageSchema>["records"][number], AuditRecord>>;
