import { z } from "zod";

/**
 * Shapes of the audit log shared by the API handlers, the lib and the console page (this module
 * imports nothing but zod, so it is safe in client components).
 */

/** Every kind the gateway writes (the explorer's kind filter offers exactly these). */
export const AUDIT_KINDS = [
  "tool_decision",
  "tool_result",
  "resource_decision",
  "resource_result",
  "prompt_decision",
  "prompt_result",
  "upstream_name_hidden",
  "approval_request",
  "approval_vote",
  "approval_resolution",
  "policy_change",
  "rbac_change",
  "login",
  "agent_note",
  "admin_action",
  "tenant_change",
  "token_change",
  "mcp_relay_refused",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** The hash of the record before seq 1. */
export const GENESIS_HASH = "0".repeat(64);

const json: z.ZodType<unknown> = z.unknown();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");

/** What a caller appends. The log assigns seq, prev_hash, hash (and ts unless given). */
export const auditInputSchema = z.object({
  tenant: z.string().min(1).max(200),
  kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, "expected a lowercase kind such as tool_decision"),
  traceId: z.string().max(200).nullish(),
  subject: z.string().max(500).nullish(),
  tool: z.string().max(500).nullish(),
  /** The call's original arguments: digested as given, stored redacted. */
  args: json.optional(),
  /** Only when args are not given (the caller chose not to store them). */
  argsDigest: hex64.nullish(),
  decision: z.string().max(100).nullish(),
  rule: z.string().max(500).nullish(),
  reason: z.string().max(4000).nullish(),
  policyVersion: z.number().int().nullish(),
  approvalId: z.string().max(200).nullish(),
  latencyMs: z.number().finite().nonnegative().nullish(),
  upstreamOutcome: z.string().max(200).nullish(),
  /** Kind-specific details (decision trace, votes, diffs…); redacted like args. */
  data: json.optional(),
  ts: z.date().optional(),
});
export type AuditInput = z.input<typeof auditInputSchema>;

/** One record as stored, exported and shown: exactly the fields the hash covers, plus the hash. */
export const auditRecordSchema = z.object({
  tenant: z.string(),
  seq: z.number().int().positive(),
  prev_hash: hex64,
  hash: hex64,
  kind: z.string(),
  ts: z.string(),
  trace_id: z.string().nullable(),
  subject: z.string().nullable(),
  tool: z.string().nullable(),
  args_digest: z.string().nullable(),
  args: json.nullable(),
  decision: z.string().nullable(),
  rule: z.string().nullable(),
  reason: z.string().nullable(),
  policy_version: z.number().int().nullable(),
  approval_id: z.string().nullable(),
  latency_ms: z.number().nullable(),
  upstream_outcome: z.string().nullable(),
  data: json.nullable(),
});
export type AuditRecordView = z.infer<typeof auditRecordSchema>;

export const checkpointSchema = z.object({
  tenant: z.string(),
  seq: z.number().int().nonnegative(),
  hash: hex64,
  at: z.string(),
  key_id: z.string(),
  signature: z.string(),
});
export type CheckpointView = z.infer<typeof checkpointSchema>;

const csv = z
  .string()
  .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));

/** Filters of search and export (query string). */
export const auditFilterSchema = z.object({
  tenant: z.string().min(1).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  subject: z.string().min(1).optional(),
  /** Glob: `fs.*`, `*.write`, `fs.?rite`. */
  tool: z.string().min(1).optional(),
  decision: z.string().min(1).optional(),
  kind: csv.optional(),
  rule: z.string().min(1).optional(),
  approval_id: z.string().min(1).optional(),
  trace_id: z.string().min(1).optional(),
  /** The upstream outcome of a forwarded call (tool_result): ok, or error (anything else recorded). */
  outcome: z.enum(["ok", "error"]).optional(),
  /** Free text over the reason (case-insensitive substring). */
  q: z.string().min(1).max(200).optional(),
  seq: z.coerce.number().int().positive().optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export const auditSearchQuerySchema = auditFilterSchema.extend({
  /** Opaque keyset cursor from the previous page's `next_cursor`. */
  cursor: z.string().regex(/^\d{1,19}$/, "expected the next_cursor of a previous page").optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type AuditSearchQuery = z.infer<typeof auditSearchQuerySchema>;

export const auditPageSchema = z.object({
  records: z.array(auditRecordSchema),
  next_cursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditPageSchema>;

export const VERIFY_PROBLEMS = [
  "edited",
  "missing",
  "inserted",
  "reordered",
  "truncated",
  "checkpoint_mismatch",
  "bad_signature",
  "malformed",
] as const;
export type VerifyProblem = (typeof VERIFY_PROBLEMS)[number];

export const verifyResultSchema = z.union([
  z.object({
    ok: z.literal(true),
    tenant: z.string().nullable(),
    count: z.number(),
    head_seq: z.number(),
    head_hash: z.string(),
    checkpoints_verified: z.number(),
    /** A filtered export: only the records present were checked. */
    partial: z.boolean(),
    duration_ms: z.number().optional(),
  }),
  z.object({
    ok: z.literal(false),
    tenant: z.string().nullable(),
    count: z.number(),
    seq: z.number(),
    problem: z.enum(VERIFY_PROBLEMS),
    message: z.string(),
    duration_ms: z.number().optional(),
  }),
]);
export type VerifyResult = z.infer<typeof verifyResultSchema>;

export const verifyQuerySchema = z.object({ tenant: z.string().min(1).optional() });

export const checkpointsQuerySchema = z.object({
  tenant: z.string().min(1).optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** AegisMCP's `POST /audit` (seed 004: `audit_write(action, tool?, ok?, note?)`). */
export const auditWriteSchema = z.object({
  action: z.string().min(1).max(200),
  tool: z.string().max(500).optional(),
  ok: z.boolean().optional(),
  note: z.string().max(4000).optional(),
  trace_id: z.string().max(200).optional(),
});
export type AuditWrite = z.infer<typeof auditWriteSchema>;
