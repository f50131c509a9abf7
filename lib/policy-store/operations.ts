import { randomUUID } from "node:crypto";
import type { Services } from "@/lib/server/types";
import { can, requireTenant, type Principal } from "@/lib/auth";
import { forbidden, unavailable } from "@/lib/errors";
import { migratePolicy, simulate } from "@/lib/policy";
import { semanticHash } from "./identity";
import type { SimulateRequest } from "./schemas";

/** Validates policy YAML: ok with a summary, or every error with line and column. */
export function validatePolicyText(svc: Pick<Services, "compiledDrafts">, text: string) {
  // Compiled as well as parsed: the studio's simulation of the same bytes then starts at once.
  const entry = svc.compiledDrafts.get(text);
  if (!entry.ok) return { ok: false, errors: entry.errors, hash: entry.hash };
  return { ok: true, errors: [], rules: entry.policy.rules.length, hash: entry.hash, semantic_hash: semanticHash(entry.policy) };
}

/**
 * Decides a what-if call without running it: against the inline policy when given, else the
 * tenant's active policy. Subject and roles default to the caller's. An inline policy is code
 * the server compiles and runs, so only those who may write policies (policies.write) send one;
 * agents and approvers simulate against the active policy.
 */

export async function simulateCall(svc: Services, principal: Principal, req: SimulateRequest, now: Date) {
  requireTenant(principal, req.tenant);
  if (req.policy !== undefined) requireInlinePolicyPermission(principal, "simulate an inline `policy`");
  const tenant = req.tenant ?? principal.tenant;
  let policy: Parameters<typeof simulate>[0]["policy"];
  let policyHash: string;
  if (req.policy) {
    const entry = svc.compiledDrafts.get(req.policy);
    if (!entry.ok) return { ok: false, decision: null, errors: entry.errors, trace_id: randomUUID(), policy_source: "inline" as const, policy_hash: entry.hash };
    policy = entry.compiled;
    policyHash = entry.hash;
  } else {
    const active = await svc.policies.get(tenant);
    if (!active) throw unavailable(`tenant ${tenant} has no active policy; every call would be denied`);
    policy = active.compiled;
    policyHash = active.hash;
  }
  const result = simulate({
    policy,
    call: { tool: req.tool, ...(req.kind ? { kind: req.kind } : {}), arguments: req.arguments, estimated_cost_usd: req.estimated_cost_usd },
    context: {
      tenant,
      subject: req.subject ?? principal.subject,
      roles: req.roles ?? principal.roles,
      targetRole: req.target_role,
      now: req.at ? new Date(req.at) : now,
    },
    trace: req.trace,
  });
  return { ...result, trace_id: randomUUID(), policy_source: req.policy ? ("inline" as const) : ("active" as const), policy_hash: policyHash };
}

/** Evaluating a caller-supplied policy (inline simulate, diff) is for policy authors and admins. */

export function requireInlinePolicyPermission(principal: Principal, what: string) {
  if (can(principal.roles, "policies.write")) return;
  throw forbidden(
    `permission policies.write is required to ${what} (roles policy_author or admin); your roles in ${principal.tenant} are: ${principal.roles.join(", ") || "none"}. Without it, simulate against the active policy: leave out \`policy\``,
    { permission: "policies.write", roles: principal.roles },
  );
}

/** AegisMCP v1/v2 or TailOps → canonical YAML (seed 004's POST /policy/migrate). */

export function migratePolicyText(text: string) {
  const r = migratePolicy(text);
  return { ok: r.ok, format: r.format, yaml: r.yaml, warnings: r.warnings, errors: r.errors };
}
