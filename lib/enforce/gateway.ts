import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Redactor } from "@/lib/audit";
import type { BuiltinToolset } from "@/lib/mcp/builtin";
import { UNKNOWN_TOOL } from "@/lib/mcp/upstreams/errors";
import { passThroughToolFields } from "@/lib/mcp/upstreams/tool-fields";
import type { UpstreamRegistry } from "@/lib/mcp/upstreams/registry";
import type { CallRelay } from "@/lib/mcp/relay/types";
import type { Metrics } from "@/lib/metrics";
import type { EnforceDeps } from "./deps";
import { type ListableTool, visibleTools } from "./list-tools";
import { createOfferings, type OfferingsGateway } from "./offerings";
import { checkCall, enforceCall, policyDecision } from "./pipeline";
import { shownVerdict } from "./shown-verdict";
import type { CallOutcome, GatewayCall, Principal, Verdict } from "./types";

export interface GatewayDeps {
  pipeline: EnforceDeps;
  /** What verdicts leave the server through (the audit log's redaction). */
  redactor: Redactor;
  builtins: () => BuiltinToolset;
  upstreams: () => Pick<UpstreamRegistry, "listTools" | "resolveTool" | "catalog">;
  metrics: Pick<Metrics, "decisions" | "decisionLatency">;
  /** APPROVAL_SYNC_WAIT_MS: how long tools/call waits for a human decision. */
  syncWaitMs: number;
}

/** What the API and the MCP endpoint call: the pipeline with the process's dependencies bound. */
export interface Gateway {
  /** The dependencies the pipeline runs on (the built-in AegisMCP tools run it too). */
  readonly pipeline: EnforceDeps;
  /** guard/check: the decision with its trace; nothing recorded, nothing run. */
  check(principal: Principal, call: GatewayCall): Promise<Verdict>;
  /** The policy's raw decision for a call as `principal` would make it (approvals stamp their rule from it). */
  decision(principal: Principal, call: GatewayCall): ReturnType<typeof policyDecision>;
  /** guard/enforce: decided, metered, audited and handed to approvers when needed; not forwarded. */
  enforce(principal: Principal, call: GatewayCall): Promise<Verdict>;
  /** MCP tools/call: the whole pipeline, forwarding what is allowed. */
  call(principal: Principal, call: GatewayCall, signal?: AbortSignal, relay?: CallRelay): Promise<CallOutcome>;
  /** MCP tools/list: upstream and built-in tools the caller could ever be allowed to call. */
  listTools(principal: Principal): Promise<Tool[]>;
  /** MCP resources/*, prompts/*, completion/complete: the upstreams' offerings under the same policy. */
  readonly offerings: OfferingsGateway;
}

export function createGateway(deps: GatewayDeps): Gateway {
  const d = deps.pipeline;
  /** Seed 004's bare tool names are aliases: the policy, the approval binding and the audit see the canonical aegis.* name. */
  function canonicalCall(call: GatewayCall): GatewayCall {
    const name = deps.builtins().canonical(call.tool);
    return name === call.tool ? call : { ...call, tool: name };
  }
  function observe(principal: Principal, verdict: Verdict, started: number) {
    deps.metrics.decisions.inc({ tenant: principal.tenant, decision: verdict.decision });
    deps.metrics.decisionLatency.observe({ decision: verdict.decision }, (performance.now() - started) / 1000);
  }
  /**
   * Throws UnknownToolError when no built-in and no upstream of the caller's tenant offers the
   * name, before anything is decided: no approval is opened for, and nothing audited about, a
   * tool that does not exist. An upstream that cannot be asked (down, timing out) is no answer:
   * the call goes on to the pipeline, which decides and reports the failure as before.
   */
  async function mustExist(principal: Principal, tool: string): Promise<void> {
    if (deps.builtins().get(tool)) return;
    try {
      await deps.upstreams().resolveTool(tool, { tenant: principal.tenant });
    } catch (err) {
      if ((err as { code?: unknown })?.code === UNKNOWN_TOOL) throw err;
    }
  }
  return {
    pipeline: d,
    offerings: createOfferings({ pipeline: d, redactor: deps.redactor, catalog: () => deps.upstreams().catalog, metrics: deps.metrics }),
    async check(principal, given) {
      const call = canonicalCall(given);
      return shownVerdict(principal, call, await checkCall(d, principal, call), deps.redactor);
    },
    decision(principal, call) {
      return policyDecision(d, principal, call);
    },
    async enforce(principal, given) {
      const call = canonicalCall(given);
      const started = performance.now();
      const { verdict } = await enforceCall(d, principal, call, { forward: false, syncWaitMs: 0, source: "guard" });
      observe(principal, verdict, started);
      return shownVerdict(principal, call, verdict, deps.redactor);
    },
    async call(principal, given, signal, relay) {
      const call = canonicalCall(given);
      await mustExist(principal, call.tool);
      const started = performance.now();
      const outcome = await enforceCall(d, principal, call, { forward: true, syncWaitMs: deps.syncWaitMs, source: "mcp", signal, relay });
      observe(principal, outcome.verdict, started);
      return { ...outcome, verdict: shownVerdict(principal, call, outcome.verdict, deps.redactor) };
    },
    async listTools(principal) {
      const [active, upstream] = await Promise.all([d.activePolicy(principal.tenant).catch(() => null), deps.upstreams().listTools({ tenant: principal.tenant })]);
      for (const e of upstream.errors) d.log.warn({ upstream: e.upstream }, `upstream not listed: ${e.message}`);
      const set = deps.builtins();
      const listable: ListableTool[] = [
        ...set.list().map((tool) => ({ tool, permission: set.get(tool.name)?.permission, policyName: set.canonical(tool.name) })),
        // A built-in name always means the built-in (calls resolve to it first): an upstream tool of that name is not shown.
        ...upstream.tools.filter((t) => !set.get(t.name)).map((t) => ({
          tool: {
            name: t.name,
            title: t.title,
            description: t.description,
            inputSchema: t.inputSchema,
            ...passThroughToolFields(t),
          } as Tool,
        })),
      ];
      return visibleTools(listable, active?.compiled ?? null, principal);
    },
  };
}
