import { z } from "zod";
import { type AegisDeps, type BuiltinTool, defineTool, type GuardCall, inputSchemaOf } from "./types";

/**
 * AegisMCP's five MCP tools (seed 004), namespaced `aegis.*` like every built-in tool so that
 * policies can match them as a group. Their logic is injected (AegisDeps).
 */
export const AEGIS_NAMESPACE = "aegis";

const toolName = z.string().min(1).max(200).describe("Tool name as exposed by the gateway, e.g. refunds.refund or fs.write");
const amountCents = z.number().int().min(0).optional().describe("Amount in cents (checked against the policy's caps)");
const op = z.string().min(1).max(100).optional().describe("Operation, e.g. refund");
const args = z.record(z.string(), z.unknown()).optional().describe("Other arguments of the call, for rule conditions");

const PolicyGetInput = z.strictObject({});
const GuardCheckInput = z.strictObject({ tool: toolName, amount_cents: amountCents, op, arguments: args });
const FirewallEnforceInput = GuardCheckInput.extend({
  meta: z.record(z.string(), z.unknown()).optional().describe("Context recorded with the decision (ticket, reason, …)"),
  approval_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("Retry of a call that needed approval: the approved approval's id; it is used once, for this exact call, and no new approval is opened"),
});
const RequireApprovalInput = z.strictObject({
  dry_run_id: z.string().min(1).max(200).describe("The pending approval's id, from a decision that required approval"),
  approval_code: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("An approver's personal code (revealed in the inbox or sent in Slack): counts as that approver's vote, once. Without it, returns the status"),
});
const AuditWriteInput = z.strictObject({
  action: z.string().min(1).max(200).describe("What happened"),
  tool: z.string().min(1).max(200).optional(),
  ok: z.boolean().optional(),
  note: z.string().max(4000).optional(),
});

/** amount_cents and op join the arguments: they are the policy's default `amount` and `op` fact sources. */
function guardCall(a: z.infer<typeof FirewallEnforceInput>): GuardCall {
  const merged: Record<string, unknown> = { ...(a.arguments ?? {}) };
  if (a.amount_cents !== undefined) merged.amount_cents = a.amount_cents;
  if (a.op !== undefined) merged.op = a.op;
  return { tool: a.tool, arguments: merged, ...(a.meta ? { meta: a.meta } : {}), ...(a.approval_id ? { approvalId: a.approval_id } : {}) };
}

export function aegisTools(deps: AegisDeps): BuiltinTool[] {
  return [
    defineTool({
      name: `${AEGIS_NAMESPACE}.policy_get`,
      title: "Get the policy",
      description: "Returns the policy in force for your tenant: version, hash and rules.",
      inputSchema: inputSchemaOf(PolicyGetInput),
      permission: "policies.read",
      readOnly: true,
      schema: PolicyGetInput,
      run: (_a, ctx) => deps.getPolicy(ctx),
    }),
    defineTool({
      name: `${AEGIS_NAMESPACE}.guard_check`,
      title: "Check a call against the policy",
      description: "Evaluates a tool call against the policy without running it: allow, deny or approval, with the deciding rule, reason and trace.",
      inputSchema: inputSchemaOf(GuardCheckInput),
      permission: "guard.check",
      readOnly: true,
      schema: GuardCheckInput,
      run: (a, ctx) => deps.check(guardCall(a), ctx),
    }),
    defineTool({
      name: `${AEGIS_NAMESPACE}.firewall_enforce`,
      title: "Enforce the policy on a call",
      description:
        "Unified enforcement: evaluates the call, writes the decision to the audit log and, when approval is required, opens the approval and returns its id; with approval_id, uses that approval once for this exact call instead of opening a new one. Does not run the call.",
      inputSchema: inputSchemaOf(FirewallEnforceInput),
      permission: "guard.enforce",
      readOnly: false,
      schema: FirewallEnforceInput,
      run: (a, ctx) => deps.enforce(guardCall(a), ctx),
    }),
    defineTool({
      name: `${AEGIS_NAMESPACE}.require_approval`,
      title: "Check or complete an approval",
      description:
        "Two-phase approval: with dry_run_id only, returns the approval's status; with approval_code (an approver's personal one-time code), casts that approver's vote. Once approved, repeat the call with the approval id.",
      inputSchema: inputSchemaOf(RequireApprovalInput),
      permission: "approvals.request",
      readOnly: false,
      schema: RequireApprovalInput,
      run: (a, ctx) => deps.requireApproval(a, ctx),
    }),
    defineTool({
      name: `${AEGIS_NAMESPACE}.audit_write`,
      title: "Write an audit entry",
      description: "Appends your own entry (action, tool, ok, note) to the tamper-evident audit log.",
      inputSchema: inputSchemaOf(AuditWriteInput),
      permission: "audit.write",
      readOnly: false,
      schema: AuditWriteInput,
      run: (a, ctx) => deps.audit(a, ctx),
    }),
  ];
}

/**
 * Seed 004 names its tools without a namespace (policy_get, …, firewall_enforce): they are aliases
 * of the aegis.* tools, governed the same. Policies and the audit log see the canonical name.
 */
export function aegisAliases(tools: readonly BuiltinTool[]): BuiltinTool[] {
  const prefix = `${AEGIS_NAMESPACE}.`;
  return tools
    .filter((t) => t.name.startsWith(prefix))
    .map((t) => ({
      ...t,
      name: t.name.slice(prefix.length),
      aliasOf: t.name,
      description: `${t.description} Alias of ${t.name} (seed 004's name): policies, permissions and the audit log see ${t.name}.`,
    }));
}
