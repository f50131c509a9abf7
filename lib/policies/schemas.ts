import { z } from "zod";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a tenant slug such as demo-tenant");

/** POST /api/v1/policy/simulate: seed 000's body, plus optional what-if context and inline policy. */
export const simulateRequestSchema = z.strictObject({
  tool: z.string().min(1, "tool is required, e.g. \"fs.write\""),
  arguments: z.record(z.string(), z.unknown()).default({}),
  estimated_cost_usd: z.number().nonnegative().optional(),
  tenant: slug.optional(),
  subject: z.string().min(1).optional(),
  roles: z.array(z.string().min(1)).optional(),
  target_role: z.string().min(1).optional(),
  at: z.iso.datetime({ offset: true, error: "at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z" }).optional(),
  policy: z.string().min(1).optional(),
  trace: z.boolean().default(true),
});
export type SimulateRequest = z.infer<typeof simulateRequestSchema>;

export const validationErrorSchema = z.object({ line: z.number(), column: z.number(), path: z.string(), message: z.string() });

export const validateResponseSchema = z.object({
  ok: z.boolean(),
  errors: z.array(validationErrorSchema),
  rules: z.number().optional(),
  hash: z.string().optional(),
});

/** The decision object (see lib/policy's PolicyDecision), loosely typed for the API document. */
export const decisionSchema = z
  .object({
    decision: z.enum(["allow", "deny", "approval"]),
    tool: z.string(),
    rule: z.string().nullable(),
    reason: z.string().nullable(),
    matched_default: z.boolean(),
    required_approvals: z.number().nullable(),
    approver_group: z.string().nullable(),
    expires_at: z.string().nullable(),
    policy_version: z.union([z.number(), z.string()]).nullable(),
    trace: z.array(z.unknown()).optional(),
  })
  .loose();

export const simulateResponseSchema = z.object({
  ok: z.boolean(),
  decision: decisionSchema.nullable(),
  errors: z.array(validationErrorSchema),
  trace_id: z.string(),
  policy_source: z.enum(["inline", "active"]),
});
