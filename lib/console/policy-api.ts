/**
 * The policy studio's client for the existing policy API (/api/v1/policy/*, /api/v1/audit). Browser
 * only: it imports nothing from the server, so a page can ship it. Every call takes an AbortSignal
 * so the studio can cancel what a newer keystroke made stale, and every refusal becomes a
 * PolicyApiError carrying the envelope's code, message and details for inline display. Answers are
 * checked against the routes' response schemas (zod only: nothing from the server ships).
 */
import type { z } from "zod";
import { auditPageSchema } from "@/lib/audit/schemas";
import {
  applyResponseSchema,
  diffResponseSchema,
  draftViewSchema,
  promoteResponseSchema,
  rollbackResponseSchema,
  signResponseSchema,
  simulateBatchResponseSchema,
  simulateResponseSchema,
  validateResponseSchema,
  versionsResponseSchema,
} from "@/lib/policy-store/schemas";

export type Action = "allow" | "deny" | "approval";

/** One validator finding, exactly as `canopy policy validate` locates it (1-based; line 0 = not in the text). */
export interface ValidationIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface ValidateResult {
  ok: boolean;
  errors: ValidationIssue[];
  rules?: number;
  /** SHA-256 of the exact bytes (a leading BOM stripped): the policy's identity everywhere. */
  hash?: string;
  /** Identity of the parsed policy (whitespace and comments do not change it). */
  semantic_hash?: string;
}

export interface ConditionTrace {
  condition: string;
  expected: unknown;
  actual: unknown;
  held: boolean | null;
  children?: ConditionTrace[];
}

export type TraceEntry =
  | { kind: "rule"; index: number; name: string; action: Action; pattern: string; matched: boolean; conditions: ConditionTrace[]; unknown_cost?: Action }
  | { kind: "default"; decision: Action; reason: string }
  | { kind: "error"; message: string; rule?: string; index?: number };

export interface SimDecision {
  decision: Action;
  tool: string;
  rule: string | null;
  rule_index: number | null;
  reason: string;
  matched_default: boolean;
  required_approvals: number | null;
  approver_group: string | null;
  error?: string;
  trace?: TraceEntry[];
}

/** A what-if call: the simulate body without the policy. */
export interface SimCall {
  tool: string;
  arguments: Record<string, unknown>;
  subject?: string;
  roles?: string[];
  target_role?: string;
  /** ISO 8601 instant the call is decided at (time windows). */
  at?: string;
  estimated_cost_usd?: number;
}

export interface SimulateResult {
  ok: boolean;
  decision: SimDecision | null;
  errors: ValidationIssue[];
  trace_id: string;
  policy_source: "inline" | "active";
}

export interface ActivePolicy {
  tenant: string;
  version: number;
  hash: string;
  signed: boolean;
  verified: boolean;
  author: string;
  message: string | null;
  created_at: string;
  valid: boolean;
  yaml: string;
}

export interface Risk {
  level: "low" | "medium" | "high" | "critical";
  score: number;
  reasons: string[];
}

export interface RuleChange {
  kind: "added" | "removed" | "modified" | "moved";
  name: string;
  fields_changed?: string[];
  from_index?: number;
  to_index?: number;
  renamed_from?: string;
  effect: "loosens" | "tightens" | "neutral" | "unclear";
}

export interface DecisionChange {
  trace_id: string | null;
  seq: number;
  ts: string;
  tool: string;
  subject: string | null;
  recorded: string | null;
  before: Action;
  after: Action;
  rule_before: string | null;
  rule_after: string | null;
  redacted: boolean;
}

export interface DiffResult {
  headline: string;
  risk: Risk;
  rule_changes: RuleChange[];
  defaults_changed: { fields_changed: string[]; effect: string } | null;
  facts_changed: boolean;
  decision_changes: {
    replayed: number;
    changed: number;
    rule_changed: number;
    redacted: number;
    by_transition: Record<string, number>;
    examples: DecisionChange[];
    notes: string[];
    from: string | null;
    to: string | null;
  };
  current_version: number | null;
  current_hash: string | null;
  proposed_hash: string;
}

/** What to diff: the draft text against the active version (or `against`), or two stored versions. */
export type DiffInput = { proposed: string; against?: number } | { version: number; against?: number };

export type Strategy = "all" | "canary_percent" | "explicit";

export interface ApplyInput {
  policy: string;
  strategy: Strategy;
  canary_percent?: number;
  tenants_csv?: string;
  message?: string;
  signature?: string;
  /** The version the draft started from ("none": the tenant ran none): a newer active version answers 409. */
  base_version?: number | "none";
  /** Apply although test cases fail (audited). */
  override_reason?: string;
}

/** A test case as the server keeps it (GET/POST /api/v1/policy/test-cases). */
export interface ServerTestCase {
  id: number;
  name: string;
  scope: "tenant" | "platform";
  call: { tool: string; arguments: Record<string, unknown>; estimated_cost_usd?: number };
  tenant?: string;
  subject?: string;
  roles?: string[];
  target_role?: string;
  at?: string;
  expected: { decision: Action; rule?: string | null };
  created_by: string;
  created_at: string;
}

export type NewServerTestCase = Omit<ServerTestCase, "id" | "created_by" | "created_at" | "scope"> & { scope?: "tenant" | "platform" };

export interface ServerDraft {
  text: string;
  base_version: number | null;
  saved_at: string;
}

export interface PromoteResult {
  version: number;
  canary_rollout: number;
  headline: string;
  active_version: number | null;
}

export interface RolloutInfo {
  id: number;
  strategy: Strategy;
  canary_percent: number | null;
  tenants: string[];
  created_by: string;
  created_at: string;
}

export interface ApplyResult {
  version: { id: number; reused: boolean; hash: string; signed: boolean; verified: boolean };
  tests: { total: number; passed: number; failed: number; overridden: boolean; override_reason: string | null; failing: { name: string; message: string }[] };
  why: string;
  rollout: RolloutInfo & { version: number };
  pinned: string[];
  canary: { percent: number; tenants: string[]; known_tenants: number } | null;
  headline: string;
  risk: Risk;
  previous_version: number | null;
  active_version: number | null;
}

export interface RollbackResult {
  action: "rollout" | "unpin";
  version: number;
  previous_version: number | null;
  unpinned: string[];
  headline: string;
  active_version: number | null;
}

export interface VersionRow {
  id: number;
  scope: "platform" | "tenant";
  tenant: string | null;
  hash: string;
  author: string;
  message: string | null;
  created_at: string;
  signed: boolean;
  verified: boolean;
  active: boolean;
  stable: boolean;
  tenant_count: number;
  pinned_tenants: string[];
  rollouts: RolloutInfo[];
}

export interface VersionsPage {
  versions: VersionRow[];
  active_version: number | null;
  stable_version: number | null;
  next_cursor: string | null;
}

/** One audit record, as far as the studio reads it. */
export interface AuditRecord {
  seq: number;
  ts: string;
  kind: string;
  trace_id: string | null;
  subject: string | null;
  tool: string | null;
  args: unknown;
  decision: string | null;
  rule: string | null;
  reason: string | null;
  policy_version: number | null;
  data: unknown;
}

/** A refusal from the API's envelope `{"error":{"code","message","details"}}` (or the network). */
export class PolicyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "PolicyApiError";
  }
}

export function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === "AbortError";
}

/**
 * The API's answer, checked against the route's response schema before the studio uses it: a server
 * answering something else is a loud PolicyApiError, not a half-rendered page. The answer is kept
 * as sent (the check strips nothing the studio reads).
 */
function checked<T>(schema: z.ZodType, body: unknown, url: string): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new PolicyApiError(200, "unexpected_answer", `the server's answer to ${url.split("?")[0]} does not match its schema: ${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"}`, r.error.issues);
  }
  return body as T;
}

async function call<T>(url: string, init: RequestInit & { json?: unknown; schema?: z.ZodType } = {}): Promise<T> {
  const { json, schema, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    credentials: "same-origin",
    cache: "no-store",
    headers: { accept: "application/json", ...(json !== undefined ? { "content-type": "application/json" } : {}), ...(rest.headers ?? {}) },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: reported below with the status.
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw new PolicyApiError(res.status, e?.code ?? "http_error", e?.message ?? `the server answered ${res.status} ${res.statusText}`.trim(), e?.details);
  }
  return schema ? checked<T>(schema, body, url) : (body as T);
}

/** The fetchers, as one object so a test or a later server-side feature can replace any of them. */
export interface PolicyApi {
  validate(text: string, signal?: AbortSignal): Promise<ValidateResult>;
  /** `policy` undefined → the tenant's active policy (needs policies.simulate); a string → inline (needs policies.write). */
  simulate(input: SimCall & { policy?: string; trace?: boolean }, signal?: AbortSignal): Promise<SimulateResult>;
  /** Many calls against one policy in one request (POST /api/v1/policy/simulate/batch), answers in the order of `calls`. */
  simulateBatch?(input: { calls: SimCall[]; policy?: string; trace?: boolean }, signal?: AbortSignal): Promise<SimulateResult[]>;
  diff(input: DiffInput & { replay_limit?: number }, signal?: AbortSignal): Promise<DiffResult>;
  apply(input: ApplyInput): Promise<ApplyResult>;
  rollback(input: { version?: number; message?: string }): Promise<RollbackResult>;
  versions(limit?: number): Promise<VersionsPage>;
  promote(input: { version?: number; message?: string }): Promise<PromoteResult>;
  testCases(signal?: AbortSignal): Promise<ServerTestCase[]>;
  addTestCase(tc: NewServerTestCase): Promise<ServerTestCase>;
  removeTestCase(id: number): Promise<void>;
  draft(signal?: AbortSignal): Promise<ServerDraft | null>;
  saveDraft(d: { text: string; base_version: number | null }): Promise<ServerDraft>;
  clearDraft(): Promise<void>;
  signWithServerKey(policy: string): Promise<{ signature: string; hash: string }>;
  active(signal?: AbortSignal): Promise<ActivePolicy | null>;
  recordedCalls(limit: number, signal?: AbortSignal): Promise<AuditRecord[]>;
}

export const policyApi: PolicyApi = {
  validate: (text, signal) => call("/api/v1/policy/validate", { method: "POST", json: { yaml: text }, signal, schema: validateResponseSchema }),
  simulate: (input, signal) => call("/api/v1/policy/simulate", { method: "POST", json: input, signal, schema: simulateResponseSchema }),
  simulateBatch: async (input, signal) =>
    (await call<{ results: SimulateResult[] }>("/api/v1/policy/simulate/batch", { method: "POST", json: input, signal, schema: simulateBatchResponseSchema })).results.map((r) => ({ ...r, policy_source: input.policy === undefined ? ("active" as const) : ("inline" as const) })),
  diff: (input, signal) => call("/api/v1/policy/diff", { method: "POST", json: input, signal, schema: diffResponseSchema }),
  apply: (input) => call("/api/v1/policy/apply", { method: "POST", json: input, schema: applyResponseSchema }),
  rollback: (input) => call("/api/v1/policy/rollback", { method: "POST", json: input, schema: rollbackResponseSchema }),
  versions: (limit = 50) => call(`/api/v1/policy/versions?limit=${limit}`, { schema: versionsResponseSchema }),
  promote: (input) => call("/api/v1/policy/promote", { method: "POST", json: input, schema: promoteResponseSchema }),
  testCases: async (signal) => (await call<{ test_cases: ServerTestCase[] }>("/api/v1/policy/test-cases", { signal })).test_cases,
  addTestCase: (tc) => call("/api/v1/policy/test-cases", { method: "POST", json: tc }),
  removeTestCase: async (id) => {
    await call(`/api/v1/policy/test-cases/${id}`, { method: "DELETE" });
  },
  draft: async (signal) => {
    try {
      return await call<ServerDraft>("/api/v1/policy/draft", { signal, schema: draftViewSchema });
    } catch (err) {
      if (err instanceof PolicyApiError && err.status === 404) return null;
      throw err;
    }
  },
  saveDraft: (d) => call("/api/v1/policy/draft", { method: "PUT", json: d, schema: draftViewSchema }),
  signWithServerKey: (policy) => call("/api/v1/policy/sign", { method: "POST", json: { policy }, schema: signResponseSchema }),
  clearDraft: async () => {
    await call("/api/v1/policy/draft", { method: "DELETE" });
  },
  active: async (signal) => {
    try {
      return await call<ActivePolicy>("/api/v1/policy", { signal });
    } catch (err) {
      // 404: the tenant runs no policy yet (everything is denied); the studio starts from a template.
      if (err instanceof PolicyApiError && err.status === 404) return null;
      throw err;
    }
  },
  recordedCalls: async (limit, signal) =>
    (await call<{ records: AuditRecord[] }>(`/api/v1/audit?kind=tool_decision&limit=${Math.min(500, Math.max(1, limit))}`, { signal, schema: auditPageSchema })).records,
};

/** `canopy policy validate`'s one-line form of a finding. */
export function formatIssue(e: ValidationIssue): string {
  return e.line > 0 ? `line ${e.line}, column ${e.column}: ${e.message}` : e.path ? `${e.path}: ${e.message}` : e.message;
}
