import { randomUUID } from "node:crypto";
import { requireTenant, type Principal } from "@/lib/auth";
import { unavailable } from "@/lib/errors";
import { migratePolicy, parsePolicy, simulate } from "@/lib/policy";
import { digest } from "@/lib/canonical";
import { getActivePolicy } from "./active";
import type { SimulateRequest } from "./schemas";

/** Validates policy YAML: ok with a summary, or every error with line and column. */
export function validatePolicyText(text: string) {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  return { ok: true, errors: [], rules: parsed.policy.rules.length, hash: digest(parsed.policy) };
}

/**
 * Decides a what-if call without running it: against the inline policy when given, else the
 * tenant's active policy. Subject and roles default to the caller's.
 */
export async function simulateCall(principal: Principal, req: SimulateRequest, now: Date) {
  requireTenant(principal, req.tenant);
  const tenant = req.tenant ?? principal.tenant;
  let policy: Parameters<typeof simulate>[0]["policy"];
  if (req.policy) policy = req.policy;
  else {
    const active = await getActivePolicy(tenant);
    if (!active) throw unavailable(`tenant ${tenant} has no active policy; every call would be denied`);
    policy = active.compiled;
  }
  const result = simulate({
    policy,
    call: { tool: req.tool, arguments: req.arguments, estimated_cost_usd: req.estimated_cost_usd },
    context: {
      tenant,
      subject: req.subject ?? principal.subject,
      roles: req.roles ?? principal.roles,
      targetRole: req.target_role,
      now: req.at ? new Date(req.at) : now,
    },
    trace: req.trace,
  });
  return { ...result, trace_id: randomUUID(), policy_source: req.policy ? ("inline" as const) : ("active" as const) };
}

/** AegisMCP v1/v2 or TailOps → canonical YAML (seed 004's POST /policy/migrate). */
export function migratePolicyText(text: string) {
  const r = migratePolicy(text);
  return { ok: r.ok, format: r.format, yaml: r.yaml, warnings: r.warnings, errors: r.errors };
}
