import { z } from "zod";

/**
 * guard/check and guard/enforce bodies: `{tool, arguments, approval_id?, meta?}`, or AegisMCP's flat
 * form (seed 004: `{"tool":"refunds.refund","amount_cents":12000,"op":"refund"}`) where every other
 * top-level field is an argument.
 */
export const guardRequestSchema = z
  .object({
    tool: z.string().min(1, 'tool is required, e.g. "refunds.refund"'),
    arguments: z.record(z.string(), z.unknown()).optional(),
    approval_id: z.string().min(1).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .catchall(z.unknown())
  .transform(({ tool, arguments: args, approval_id, meta, ...rest }) => ({
    tool,
    arguments: { ...rest, ...(args ?? {}) },
    approvalId: approval_id,
    meta,
  }));
export type GuardRequest = z.output<typeof guardRequestSchema>;

export const verdictSchema = z
  .object({
    decision: z.enum(["allow", "deny", "approval"]),
    tool: z.string(),
    trace_id: z.string(),
    rule: z.string().nullable(),
    reason: z.string().nullable(),
    policy_version: z.number().nullable(),
    estimated_cost_usd: z.number(),
    limit: z.object({ limit: z.string(), scope: z.string(), limit_value: z.number(), current: z.number(), resets_at: z.string().nullable(), message: z.string() }).loose().optional(),
    approval: z.object({ id: z.string(), status: z.string(), required_approvals: z.number(), approvals: z.number(), approver_group: z.string().nullable(), expires_at: z.string(), retry: z.string() }).optional(),
    audit: z.object({ seq: z.number(), hash: z.string() }).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    trace: z.array(z.unknown()).optional(),
  })
  .describe("The gateway's decision, explained");
