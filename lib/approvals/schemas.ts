import { z } from "zod";
import { APPROVAL_STATUSES, VOTE_DECISIONS } from "./state-machine";

/** Request and response shapes of the approvals APIs, shared by the route handlers and the inbox. */

const MAX_EXPIRY_SECONDS = 7 * 24 * 3600;
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a lowercase slug such as demo-tenant");
const group = z.string().regex(/^[A-Za-z0-9][\w.-]{0,62}$/, "expected a group name such as secops");
const jsonObject = z.record(z.string(), z.unknown());

export const approvalStatusSchema = z.enum(APPROVAL_STATUSES);
export const voteDecisionSchema = z.enum(VOTE_DECISIONS);

/** Seed 000 `POST /approvals/create`, as written, plus the rule's optional fields. */
export const createApprovalBodySchema = z.object({
  pending_id: z.string().regex(/^[\w.-]{1,100}$/, "pending_id: letters, digits, _ . - (at most 100)").optional(),
  tenant: slug,
  subject: z.string().min(1).max(200),
  tool: z.string().min(1).max(200),
  required_approvals: z.number().int().min(1).max(20).default(1),
  args: jsonObject.default({}),
  summary: z.string().max(2000).optional(),
  reason: z.string().max(2000).optional(),
  rule: z.string().max(500).optional(),
  approver_group: group.nullable().optional(),
  expires_in_seconds: z.number().int().min(1).max(MAX_EXPIRY_SECONDS).optional(),
});
export type CreateApprovalBody = z.infer<typeof createApprovalBodySchema>;

/** Seed 003 `POST /api/v1/approvals`: an agent asks for a human decision on an action. */
export const requestApprovalBodySchema = z.object({
  agent: z.string().min(1).max(200),
  action: z.string().min(1).max(200),
  context: jsonObject.default({}),
  reason: z.string().max(2000).optional(),
  expires_in_seconds: z.number().int().min(1).max(MAX_EXPIRY_SECONDS).optional(),
  summary: z.string().max(2000).optional(),
  approver_group: group.nullable().optional(),
  required_approvals: z.number().int().min(1).max(20).optional(),
});
export type RequestApprovalBody = z.infer<typeof requestApprovalBodySchema>;

/**
 * Seed 003 `POST /api/v1/approvals/{id}/approve`. A token caller must send `approver` (its own
 * subject) and the HMAC `signature`; a signed-in console user may omit both (the session is the
 * proof, and the server signs).
 */
export const decideBodySchema = z.object({
  decision: voteDecisionSchema,
  approver: z.string().min(1).max(200).optional(),
  comment: z.string().max(2000).optional(),
  signature: z.string().max(200).optional(),
});
export type DecideBody = z.infer<typeof decideBodySchema>;

export const verifyBodySchema = z.object({
  signature: z.string().max(200),
  decision: voteDecisionSchema.optional(),
  approver: z.string().min(1).max(200).optional(),
});

export const listQuerySchema = z.object({
  status: z.union([approvalStatusSchema, z.literal("all")]).default("all"),
  tenant: slug.optional(),
  tool: z.string().max(200).optional(),
  subject: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** created_at of the last item of the previous page (ISO), for "older". */
  before: z.iso.datetime({ offset: true }).optional(),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export const voteViewSchema = z.object({
  approver: z.string(),
  decision: voteDecisionSchema,
  comment: z.string().nullable(),
  via: z.string(),
  created_at: z.string(),
});

export const approvalViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  subject: z.string(),
  requested_by: z.string(),
  tool: z.string(),
  args: z.unknown(),
  args_digest: z.string(),
  summary: z.string().nullable(),
  reason: z.string().nullable(),
  rule: z.string().nullable(),
  /** Identity of the rule that asked for it (SHA-256 of the rule's canonical body); null: filed by hand. */
  rule_hash: z.string().nullable(),
  /** Whether quorum and approver group came from that rule or from whoever filed the request. */
  quorum_source: z.enum(["rule", "requester"]),
  approver_group: z.string().nullable(),
  required_approvals: z.number(),
  approvals: z.number(),
  remaining_approvals: z.number(),
  policy_version: z.number().nullable(),
  status: approvalStatusSchema,
  trace_id: z.string().nullable(),
  context: z.unknown(),
  created_at: z.string(),
  requested_at: z.string(),
  expires_at: z.string(),
  resolved_at: z.string().nullable(),
  executed_at: z.string().nullable(),
  votes: z.array(voteViewSchema),
  // Seed 003 names for the same things.
  agent: z.string(),
  action: z.string(),
  /** What the caller may do, when the caller is known. */
  viewer: z
    .object({ can_decide: z.boolean(), reason: z.string().nullable(), voted: voteDecisionSchema.nullable() })
    .optional(),
});
export type ApprovalView = z.infer<typeof approvalViewSchema>;
export type VoteView = z.infer<typeof voteViewSchema>;

export const approvalListSchema = z.object({
  approvals: z.array(approvalViewSchema),
  next_before: z.string().nullable(),
});
export type ApprovalList = z.infer<typeof approvalListSchema>;

export const decisionResultSchema = z.object({
  id: z.string(),
  status: approvalStatusSchema,
  decision: voteDecisionSchema,
  approver: z.string(),
  approved_at: z.string(),
  comment: z.string().nullable(),
  signature: z.string(),
  approvals: z.number(),
  remaining_approvals: z.number(),
  required_approvals: z.number(),
});
export type DecisionResult = z.infer<typeof decisionResultSchema>;

/** Seed 004 `POST /approvals/complete`: an approver's personal code (or, in legacy mode, the global APPROVAL_CODE). */
export const completeBodySchema = z.strictObject({
  dry_run_id: z.string().min(1).max(200).describe("The pending approval's id (appr_…), from the decision that required approval"),
  approval_code: z.string().min(1).max(200).describe("An approver's personal code, revealed in the inbox or sent to them in Slack"),
});
export type CompleteBody = z.infer<typeof completeBodySchema>;

export const completeResultSchema = decisionResultSchema.extend({ via: z.literal("code") });

export const revealedCodeSchema = z.object({
  id: z.string(),
  approver: z.string(),
  approval_code: z.string(),
  expires_at: z.string(),
  complete: z.string(),
});
export type RevealedCode = z.infer<typeof revealedCodeSchema>;

/** `GET /api/v1/approvals/{id}/wait?timeout=10`: seed 000's wait_for_resolution, as a long poll. */
export const waitQuerySchema = z.object({
  timeout: z.coerce.number().min(0).max(60).default(10).describe("Seconds to wait for a decision (at most 60)"),
});
export const waitResultSchema = z.object({
  id: z.string(),
  status: approvalStatusSchema,
  timed_out: z.boolean(),
  approval: approvalViewSchema,
});
export type WaitResult = z.infer<typeof waitResultSchema>;
