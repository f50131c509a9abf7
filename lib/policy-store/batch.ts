import { randomUUID } from "node:crypto";
import { requireTenant, type Principal } from "@/lib/auth";
import type { Services } from "@/lib/server/types";
import { AppError, unavailable } from "@/lib/errors";
import { type CompiledPolicy, formatValidationError, simulate } from "@/lib/policy";
import { requireInlinePolicyPermission } from "./operations";
import type { SimulateBatchRequest } from "./schemas";

/**
 * One policy against many calls in one request (the studio's live simulation round): the draft
 * is compiled once per hash (the validation of the same bytes usually did it already), then every
 * call is decided by the production engine. Each call may name only the caller's own tenant.
 */
export async function simulateBatch(svc: Services, principal: Principal, req: SimulateBatchRequest, now: Date) {
  for (const c of req.calls) requireTenant(principal, c.tenant);
  let compiled: CompiledPolicy;
  let hash: string;
  let version: number | null = null;
  let cached = false;
  if (req.policy !== undefined) {
    requireInlinePolicyPermission(principal, "simulate an inline `policy`");
    const entry = svc.compiledDrafts.get(req.policy);
    cached = entry.cached;
    if (!entry.ok) throw new AppError(400, "invalid_policy", `the policy is not valid: ${formatValidationError(entry.errors[0])}`, { errors: entry.errors });
    compiled = entry.compiled;
    hash = entry.hash;
  } else {
    const active = await svc.policies.get(principal.tenant);
    if (!active) throw unavailable(`tenant ${principal.tenant} has no active policy; every call would be denied`);
    compiled = active.compiled;
    hash = active.hash;
    version = active.version;
  }
  const results = req.calls.map((c) => {
    const r = simulate({
      policy: compiled,
      call: { tool: c.tool, ...(c.kind ? { kind: c.kind } : {}), arguments: c.arguments, estimated_cost_usd: c.estimated_cost_usd },
      context: { tenant: principal.tenant, subject: c.subject ?? principal.subject, roles: c.roles ?? principal.roles, targetRole: c.target_role, now: c.at ? new Date(c.at) : now },
      trace: req.trace,
    });
    return { ...r, trace_id: randomUUID() };
  });
  return { policy_source: req.policy !== undefined ? ("inline" as const) : ("active" as const), policy_hash: hash, policy_version: version, cached, results };
}
