import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { env } from "@/lib/env";
import { log } from "@/lib/log";
import { metrics } from "@/lib/metrics";
import { getUpstreams } from "@/lib/mcp/upstreams";
import { builtins, gatewayDeps } from "./default-deps";
import { type ListableTool, visibleTools } from "./list-tools";
import { checkCall, enforceCall, policyDecision } from "./pipeline";
import { shownVerdict } from "./shown-verdict";
import type { CallOutcome, GatewayCall, Principal, Verdict } from "./types";

/** Seed 004's bare tool names are aliases: the policy, the approval binding and the audit see the canonical aegis.* name. */
function canonicalCall(call: GatewayCall): GatewayCall {
  const name = builtins().canonical(call.tool);
  return name === call.tool ? call : { ...call, tool: name };
}

function observe(principal: Principal, verdict: Verdict, started: number) {
  const m = metrics();
  m.decisions.inc({ tenant: principal.tenant, decision: verdict.decision });
  m.decisionLatency.observe({ decision: verdict.decision }, (performance.now() - started) / 1000);
}

/** guard/check: the decision with its trace; nothing recorded, nothing run. */
export async function gatewayCheck(principal: Principal, given: GatewayCall): Promise<Verdict> {
  const call = canonicalCall(given);
  return shownVerdict(principal, call, await checkCall(gatewayDeps(), principal, call));
}

/** The policy's raw decision for a call as `principal` would make it (approvals stamp their rule from it). */
export function gatewayDecision(principal: Principal, call: GatewayCall) {
  return policyDecision(gatewayDeps(), principal, call);
}

/** guard/enforce: decided, metered, audited and handed to approvers when needed; not forwarded. */
export async function gatewayEnforce(principal: Principal, given: GatewayCall): Promise<Verdict> {
  const call = canonicalCall(given);
  const started = performance.now();
  const { verdict } = await enforceCall(gatewayDeps(), principal, call, { forward: false, syncWaitMs: 0, source: "guard" });
  observe(principal, verdict, started);
  return shownVerdict(principal, call, verdict);
}

/** MCP tools/call: the whole pipeline, forwarding what is allowed. */
export async function gatewayCall(principal: Principal, given: GatewayCall, signal?: AbortSignal): Promise<CallOutcome> {
  const call = canonicalCall(given);
  const started = performance.now();
  const outcome = await enforceCall(gatewayDeps(), principal, call, { forward: true, syncWaitMs: env().APPROVAL_SYNC_WAIT_MS, source: "mcp", signal });
  observe(principal, outcome.verdict, started);
  return { ...outcome, verdict: shownVerdict(principal, call, outcome.verdict) };
}

/** MCP tools/list: upstream and built-in tools the caller could ever be allowed to call. */
export async function gatewayListTools(principal: Principal): Promise<Tool[]> {
  const deps = gatewayDeps();
  const [active, upstream] = await Promise.all([deps.activePolicy(principal.tenant).catch(() => null), getUpstreams().listTools({ tenant: principal.tenant })]);
  for (const e of upstream.errors) log().warn({ upstream: e.upstream }, `upstream not listed: ${e.message}`);
  const set = builtins();
  const listable: ListableTool[] = [
    ...set.list().map((tool) => ({ tool, permission: set.get(tool.name)?.permission, policyName: set.canonical(tool.name) })),
    ...upstream.tools.map((t) => ({
      tool: { name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema, ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}), ...(t.annotations ? { annotations: t.annotations } : {}) } as Tool,
    })),
  ];
  return visibleTools(listable, active?.compiled ?? null, principal);
}
