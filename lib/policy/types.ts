/** Shared types of the policy engine: the call, the context, the decision and its trace. */
import type { FactMap, RuleKind } from "./schema";

export type Action = "allow" | "deny" | "approval";

/** One tool call as the gateway sees it (or a resource read, prompt get: see `kind`). */
export interface ToolCall {
  /** The tool name; for kind resource the resource URI, for kind prompt the prompt name. */
  tool: string;
  /** What is called (default `tool`): only rules of the same kind are candidates. */
  kind?: RuleKind;
  arguments?: Record<string, unknown>;
  /** Set by the pipeline's cost estimator, when it ran before policy. */
  estimated_cost_usd?: number;
}

/** Who calls, against what, and when. Time is an argument: the engine never reads a clock. */
export interface EvalContext {
  tenant?: string;
  subject?: string;
  roles?: readonly string[];
  targetRole?: string;
  now: Date;
  /**
   * The cost estimator: the catalog price of the call (the floor that a stated cost can only
   * raise) and whether the cost is known at all. A plain number is a known cost; null or
   * undefined is an unknown cost. Absent: lib/cost's catalog estimator (`estimateCallCost`).
   */
  estimateCost?: (call: ToolCall) => CostFact | number | undefined | null;
  /**
   * More fact sources per tool pattern (the upstream's `facts` from upstreams.yaml), added to the
   * defaults, the compile options' and the policy's. Pass the same object for the same maps: the
   * compiled policy caches its resolver per object.
   */
  facts?: Readonly<Record<string, FactMap>>;
}

/** What the estimator knows of a call's cost. */
export interface CostFact {
  /** USD; ignored when the cost is unknown. */
  usd: number;
  /** False for a priced (cloud) call the catalog cannot price. */
  known: boolean;
  /** Why the cost is unknown, shown in reasons and traces. */
  note?: string;
}

export interface EvalOptions {
  /** Build the trace (default true). `false` returns the same decision without it, for the hot path. */
  trace?: boolean;
}

export interface ConditionTrace {
  condition: string;
  expected: unknown;
  actual: unknown;
  /** null when the condition was not evaluated (an earlier one in the rule already failed). */
  held: boolean | null;
  children?: ConditionTrace[];
}

export type TraceEntry =
  | {
      kind: "rule";
      index: number;
      name: string;
      action: Action;
      /** The pattern of `match` that selected the rule for this tool. */
      pattern: string;
      matched: boolean;
      conditions: ConditionTrace[];
      /** Set when the call's cost was unknown and the rule's `unknown_cost` (or the default's) decided. */
      unknown_cost?: Action;
    }
  | { kind: "default"; decision: Action; reason: string }
  | { kind: "error"; message: string; rule?: string; index?: number };

export interface PolicyDecision {
  decision: Action;
  tool: string;
  /** Name of the deciding rule; null when the default decided (or evaluation failed). */
  rule: string | null;
  rule_index: number | null;
  /**
   * Identity of what decided: the SHA-256 of the deciding rule's canonical body (or of `defaults`);
   * null when evaluation failed. An approval is bound to it.
   */
  rule_hash: string | null;
  reason: string;
  matched_default: boolean;
  required_approvals: number | null;
  approver_group: string | null;
  expires_in_seconds: number | null;
  expires_at: string | null;
  policy_version: string;
  policy_hash: string;
  /** Present when evaluation failed: the call is denied (fail closed). */
  error?: string;
  trace?: TraceEntry[];
}

/** A validation problem located in the YAML source (1-based line and column). */
export interface ValidationError {
  line: number;
  column: number;
  /** Path in the document, e.g. `rules[2].where.host_in`. */
  path: string;
  message: string;
}

/** Which call argument feeds each fact; each entry lists JSON paths tried in order. */
export interface FactSources {
  host: readonly string[];
  method: readonly string[];
  path: readonly string[];
  body: readonly string[];
  amount: readonly string[];
  op: readonly string[];
  cost: readonly string[];
}

export type FactName = keyof FactSources;
