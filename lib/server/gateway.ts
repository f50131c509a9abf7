import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallRelay } from "@/lib/mcp/relay/types";
import { normalizeApprovalId } from "@/lib/approvals";
import { can } from "@/lib/auth/rbac";
import { canonicalJson } from "@/lib/canonical";
import { estimateCallCost } from "@/lib/cost";
import { checkCall, enforceCall } from "@/lib/enforce/pipeline";
import type { EnforceDeps } from "@/lib/enforce/deps";
import { shownVerdict } from "@/lib/enforce/shown-verdict";
import type { Principal, ToolCallRound } from "@/lib/enforce/types";
import { forbidden } from "@/lib/errors";
import { builtinTools, type BuiltinToolset, type CallerContext } from "@/lib/mcp/builtin";
import { describeActivePolicy } from "@/lib/policy-store/current";
import type { FactMap } from "@/lib/policy";
import { callerOf, opsCallFacts } from "@/lib/ops/call-facts";
import { callMetaTool } from "@/lib/ops/tools";
import { engineDecider, type OpsPolicy } from "@/lib/ops/policy";
import type { Services } from "./types";

const principalOf = (ctx: CallerContext): Principal => ({ kind: "token", tenant: ctx.tenant, subject: ctx.subject, roles: [...ctx.roles] });

/** The ops domain's policy port: the tenant's active policy, decided by the engine with the ops call's facts. */
export function createOpsPolicy(svc: Pick<Services, "policies" | "clock">): OpsPolicy {
  const active = async (tenant: string) => {
    const a = await svc.policies.get(tenant, svc.clock.nowMs());
    if (!a) throw new Error(`tenant ${tenant} has no active policy`);
    return a;
  };
  return {
    decide: engineDecider(async (caller) => (await active(caller.tenant)).compiled),
    status: async (caller) => {
      const a = await svc.policies.get(caller.tenant, svc.clock.nowMs()).catch(() => null);
      return a ? { active: true, version: a.version, hash: a.hash, signed: a.signed, verified: a.verified } : { active: false, note: "no active policy: every ops call is denied" };
    },
  };
}

/** The built-in tools (cloud.estimate, AegisMCP's five, seed 002's ops tools), wired to this process's gateway. */
export function createBuiltins(svc: Services): BuiltinToolset {
  return builtinTools({
    aegis: {
      getPolicy: async (ctx) => describeActivePolicy((await svc.db()).prisma, ctx.tenant),
      check: async (call, ctx) => {
        const c = { tool: svc.builtins.canonical(call.tool), arguments: call.arguments, meta: call.meta };
        return shownVerdict(principalOf(ctx), c, await checkCall(svc.gateway.pipeline, principalOf(ctx), c), svc.redactor);
      },
      enforce: async (call, ctx) => {
        const c = { tool: svc.builtins.canonical(call.tool), arguments: call.arguments, meta: call.meta, approvalId: call.approvalId };
        return shownVerdict(principalOf(ctx), c, (await enforceCall(svc.gateway.pipeline, principalOf(ctx), c, { forward: false, syncWaitMs: 0, source: "builtin" })).verdict, svc.redactor);
      },
      requireApproval: async (req, ctx) => {
        const service = await svc.approvals();
        if (req.approval_code) await service.completeWithCode({ id: req.dry_run_id, tenant: ctx.tenant, caller: ctx.subject, code: req.approval_code });
        const view = await service.get(normalizeApprovalId(req.dry_run_id), ctx.tenant, ctx.subject);
        return {
          approval: view,
          note:
            view.status === "approved"
              ? `approved: repeat the call with _meta.approval_id (or firewall_enforce's approval_id) = "${view.id}"`
              : `status ${view.status}: ${view.remaining_approvals} more approval(s) needed`,
        };
      },
      audit: (entry, ctx) =>
        svc.audit.append({ tenant: ctx.tenant, kind: "agent_note", subject: ctx.subject, tool: entry.tool ?? null, traceId: ctx.traceId ?? null, decision: entry.ok === undefined ? null : entry.ok ? "ok" : "failed", reason: entry.note ?? null, data: { action: entry.action } }),
    },
    ops: { callMeta: (name, args, ctx) => callMetaTool(svc.ops, callerOf(ctx, ctx.traceId), name, args) },
  });
}

type FactMaps = Readonly<Record<string, FactMap>>;
const FACT_MAPS_TTL_MS = 3_000;

/**
 * The upstreams' facts maps per tenant, re-read at most every few seconds (database upstreams
 * reload on that scale too) and kept as the same object while unchanged, so the compiled policy's
 * per-object resolver cache keeps hitting.
 */
function upstreamFactMaps(svc: Services): (tenant: string) => FactMaps {
  const byTenant = new Map<string, { at: number; key: string; maps: FactMaps }>();
  return (tenant) => {
    const now = svc.clock.nowMs();
    const hit = byTenant.get(tenant);
    if (hit && now - hit.at < FACT_MAPS_TTL_MS) return hit.maps;
    const maps = svc.upstreams.factMaps({ tenant });
    const key = canonicalJson(maps);
    if (hit && hit.key === key) {
      hit.at = now;
      return hit.maps;
    }
    if (byTenant.size >= 10_000) byTenant.clear();
    byTenant.set(tenant, { at: now, key, maps });
    return maps;
  };
}

/** The production dependencies of the pipeline: Postgres, Redis, the upstreams, the built-in tools. */
export function createPipelineDeps(svc: Services): EnforceDeps {
  const e = svc.env;
  async function execute(tool: string, args: Record<string, unknown>, ctx: { principal: Principal; traceId: string; signal?: AbortSignal; round?: ToolCallRound; relay?: CallRelay }): Promise<CallToolResult> {
    const set = svc.builtins;
    const builtin = set.get(tool);
    if (builtin) {
      // Built-in tools check the caller's role on top of the policy.
      if (!can(ctx.principal.roles, builtin.permission)) throw forbidden(`${tool} needs permission ${builtin.permission}`);
      return set.call(tool, args, { tenant: ctx.principal.tenant, subject: ctx.principal.subject, roles: ctx.principal.roles, traceId: ctx.traceId });
    }
    return svc.upstreams.callTool(tool, args, { tenant: ctx.principal.tenant, signal: ctx.signal, traceId: ctx.traceId, ...(ctx.round ? { round: ctx.round } : {}), relay: ctx.relay });
  }
  return {
    activePolicy: (tenant) => svc.policies.get(tenant, svc.clock.nowMs()),
    factMaps: upstreamFactMaps(svc),
    estimateCost: (tool, args) => {
      const c = estimateCallCost(tool, args);
      return { usd: c.estimated_cost_usd, known: c.known, ...(c.note ? { note: c.note } : {}) };
    },
    admit: (input) => svc.quotas.admit(input),
    audit: async (input, opts) => {
      try {
        const r = await svc.audit.append(input, opts);
        return { seq: r.seq, hash: r.hash };
      } catch (err) {
        svc.log.error({ err, tenant: input.tenant, kind: input.kind }, "audit append failed");
        throw err;
      }
    },
    auditInTransaction: async (q, input) => {
      const r = await svc.audit.appendInTransaction(q, input);
      return { audit: { seq: r.seq, hash: r.hash }, committed: () => svc.audit.committed(r) };
    },
    approvals: () => svc.approvals(),
    callFacts: async (principal, call, opts) => {
      const facts = await opsCallFacts(svc.ops, principal, call, opts);
      if (!facts?.run) return facts;
      const run = facts.run;
      return {
        ...facts,
        // The built-ins' RBAC check, which the pipeline's dispatch would otherwise make.
        run: (o) => {
          if (!can(principal.roles, "mcp.call")) throw forbidden(`${call.tool} needs permission mcp.call`);
          return run(o);
        },
      };
    },
    execute,
    now: () => svc.clock.now(),
    log: svc.log,
    argumentLimits: { maxDepth: e.TOOL_ARGS_MAX_DEPTH, maxBytes: e.TOOL_ARGS_MAX_BYTES, maxKeys: e.TOOL_ARGS_MAX_KEYS, maxItems: e.TOOL_ARGS_MAX_ITEMS },
  };
}
