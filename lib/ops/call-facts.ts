/**
 * The ops domain's part of the gateway's facts step: an `ops.<operation>` call is prepared here
 * (strict parameters, then the backend's own checks, the target from the tenant's inventory, its
 * role, maintenance window and live allowlists) before the policy sees it, and the prepared call
 * is what runs once the pipeline allows it. The caller never supplies the target's role: only
 * ops.simulate takes one, as a labelled what-if, and it runs nothing.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallFacts, GatewayCall, Principal } from "@/lib/enforce/types";
import { OPS_FACT_MAPS, operationOfTool } from "./catalog";
import type { OpsCaller } from "./policy";
import type { Ops, OpsOutcome } from "./service";

export const callerOf = (p: { tenant: string; subject: string; roles: readonly string[] }, traceId?: string): OpsCaller => ({ tenant: p.tenant, subject: p.subject, roles: [...p.roles], ...(traceId ? { traceId } : {}) });

/** What an agent gets back: the outcome as JSON; anything but a success (or a dry run) is a tool error. */
export function outcomeResult(o: OpsOutcome): CallToolResult {
  const ok = o.status === "succeeded" || o.status === "dry_run";
  return { ...(ok ? {} : { isError: true }), content: [{ type: "text", text: JSON.stringify(o) }], structuredContent: o as unknown as Record<string, unknown> };
}

/** The facts of an ops call; null for any other tool (meta tools included: they carry no target facts). */
export async function opsCallFacts(ops: Ops, principal: Principal, call: GatewayCall, opts: { signal?: AbortSignal } = {}): Promise<CallFacts | null> {
  if (!operationOfTool(call.tool)) return null;
  const prepared = await ops.prepare(callerOf(principal), call.tool, call.arguments, opts);
  const pc = prepared.policyCall;
  return {
    policy: { arguments: pc.arguments, targetRole: pc.targetRole, roles: pc.roles, factMaps: OPS_FACT_MAPS },
    audit: {
      ops: {
        operation: prepared.operation,
        target: prepared.facts.target,
        allowlist_sources: prepared.facts.allowlist_sources,
        parameters: prepared.params,
        timeout_ms: prepared.timeoutMs,
        dry_run: prepared.dryRun,
        emergency: pc.emergency,
      },
    },
    async run({ signal, traceId }) {
      const outcome = await ops.execute({ ...prepared, caller: { ...prepared.caller, traceId } }, { signal });
      return { result: outcomeResult(outcome), outcome: outcome.status, audit: { ops_outcome: outcome } };
    },
  };
}
