import { z } from "zod";
import { nonFiniteNumberAt } from "@/lib/canonical";
import { statedAmount } from "@/lib/cost";

/** Money a caller states: a negative or non-finite amount would refund a budget or slip under a cap. */
const MONEY_FIELDS = ["estimated_cost_usd", "amount_cents"] as const;

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
  .superRefine((body, ctx) => {
    const infinite = nonFiniteNumberAt(body);
    if (infinite) {
      // JSON reads 1e309 as Infinity: such a call can be neither priced, hashed nor audited.
      ctx.addIssue({ code: "custom", path: infinite.split(/[.[\]]+/).filter(Boolean), message: "is not a finite number (JSON numbers past ±1.8e308 read as infinite); send a finite value" });
      return;
    }
    for (const k of MONEY_FIELDS) {
      for (const [path, value] of [[[k], body[k]], [["arguments", k], body.arguments?.[k]]] as const) {
        try {
          statedAmount(value, k);
        } catch (e) {
          ctx.addIssue({ code: "custom", path: [...path], message: (e as Error).message });
        }
      }
    }
  })
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
    cost_known: z.boolean().describe("false: a cloud operation the price catalog cannot price (cost rules count it as over; budgets refuse it)"),
    limit: z.object({ limit: z.string(), scope: z.string(), limit_value: z.number(), current: z.number(), resets_at: z.string().nullable(), message: z.string() }).loose().optional(),
    approval: z.object({ id: z.string(), status: z.string(), required_approvals: z.number(), approvals: z.number(), approver_group: z.string().nullable(), expires_at: z.string(), retry: z.string() }).optional(),
    audit: z.object({ seq: z.number(), hash: z.string() }).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    trace: z.array(z.unknown()).optional(),
  })
  .describe("The gateway's decision, explained");
