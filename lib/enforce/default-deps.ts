import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { approvals, normalizeApprovalId } from "@/lib/approvals";
import { appendAudit } from "@/lib/audit";
import { can } from "@/lib/auth/rbac";
import { canonicalJson } from "@/lib/canonical";
import { estimateCallCost } from "@/lib/cost";
import { env } from "@/lib/env";
import { forbidden } from "@/lib/errors";
import { log } from "@/lib/log";
import { builtinTools, type BuiltinToolset, type CallerContext } from "@/lib/mcp/builtin";
import { getUpstreams } from "@/lib/mcp/upstreams";
import { describeActivePolicy, getActivePolicy } from "@/lib/policies";
import type { FactMap } from "@/lib/policy";
import { getQuotas } from "@/lib/quota";
import { wireApprovalAudit } from "@/lib/wiring/approval-audit";
import type { EnforceDeps } from "./deps";
import { checkCall, enforceCall } from "./pipeline";
import { shownVerdict } from "./shown-verdict";
import type { Principal } from "./types";

const principalOf = (ctx: CallerContext): Principal => ({ kind: "token", tenant: ctx.tenant, subject: ctx.subject, roles: [...ctx.roles] });

const g = globalThis as { __canopyGatewayDeps?: EnforceDeps; __canopyBuiltins?: BuiltinToolset };

/** The built-in tools (cloud.estimate and AegisMCP's five), wired to this gateway. */
export function builtins(): BuiltinToolset {
  g.__canopyBuiltins ??= builtinTools({
    aegis: {
      getPolicy: (ctx) => describeActivePolicy(ctx.tenant),
      check: async (call, ctx) => {
        const c = { tool: builtins().canonical(call.tool), arguments: call.arguments, meta: call.meta };
        return shownVerdict(principalOf(ctx), c, await checkCall(gatewayDeps(), principalOf(ctx), c));
      },
      enforce: async (call, ctx) => {
        const c = { tool: builtins().canonical(call.tool), arguments: call.arguments, meta: call.meta, approvalId: call.approvalId };
        return shownVerdict(principalOf(ctx), c, (await enforceCall(gatewayDeps(), principalOf(ctx), c, { forward: false, syncWaitMs: 0, source: "builtin" })).verdict);
      },
      requireApproval: async (req, ctx) => {
        const service = await approvals();
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
        appendAudit({ tenant: ctx.tenant, kind: "agent_note", subject: ctx.subject, tool: entry.tool ?? null, traceId: ctx.traceId ?? null, decision: entry.ok === undefined ? null : entry.ok ? "ok" : "failed", reason: entry.note ?? null, data: { action: entry.action } }),
    },
  });
  return g.__canopyBuiltins;
}

async function execute(tool: string, args: Record<string, unknown>, ctx: { principal: Principal; traceId: string; signal?: AbortSignal }): Promise<CallToolResult> {
  const set = builtins();
  const builtin = set.get(tool);
  if (builtin) {
    // Built-in tools check the caller's role on top of the policy.
    if (!can(ctx.principal.roles, builtin.permission)) throw forbidden(`${tool} needs permission ${builtin.permission}`);
    return set.call(tool, args, { tenant: ctx.principal.tenant, subject: ctx.principal.subject, roles: ctx.principal.roles, traceId: ctx.traceId });
  }
  return getUpstreams().callTool(tool, args, { tenant: ctx.principal.tenant, signal: ctx.signal, traceId: ctx.traceId });
}

type FactMaps = Readonly<Record<string, FactMap>>;
const FACT_MAPS_TTL_MS = 3_000;

/**
 * The upstreams' facts maps per tenant, re-read at most every few seconds (database upstreams
 * reload on that scale too) and kept as the same object while unchanged, so the compiled policy's
 * per-object resolver cache keeps hitting.
 */
function upstreamFactMaps(): (tenant: string) => FactMaps {
  const byTenant = new Map<string, { at: number; key: string; maps: FactMaps }>();
  return (tenant) => {
    const now = Date.now();
    const hit = byTenant.get(tenant);
    if (hit && now - hit.at < FACT_MAPS_TTL_MS) return hit.maps;
    const maps = getUpstreams().factMaps({ tenant });
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

/** The production dependencies of the pipeline: Postgres, Redis, the upstreams. */
export function gatewayDeps(): EnforceDeps {
  if (g.__canopyGatewayDeps) return g.__canopyGatewayDeps;
  wireApprovalAudit();
  g.__canopyGatewayDeps = {
    activePolicy: (tenant) => getActivePolicy(tenant),
    factMaps: upstreamFactMaps(),
    estimateCost: (tool, args) => {
      const c = estimateCallCost(tool, args);
      return { usd: c.estimated_cost_usd, known: c.known, ...(c.note ? { note: c.note } : {}) };
    },
    admit: (input) => getQuotas().admit(input),
    audit: async (input) => {
      try {
        const r = await appendAudit(input);
        return { seq: r.seq, hash: r.hash };
      } catch (err) {
        log().error({ err, tenant: input.tenant, kind: input.kind }, "audit append failed");
        throw err;
      }
    },
    approvals,
    execute,
    now: () => new Date(),
    argumentLimits: (() => {
      const e = env();
      return { maxDepth: e.TOOL_ARGS_MAX_DEPTH, maxBytes: e.TOOL_ARGS_MAX_BYTES, maxKeys: e.TOOL_ARGS_MAX_KEYS, maxItems: e.TOOL_ARGS_MAX_ITEMS };
    })(),
  };
  return g.__canopyGatewayDeps;
}
