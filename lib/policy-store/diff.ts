import type { Principal } from "@/lib/auth";
import type { Services } from "@/lib/server/types";
import { auditSearchQuerySchema } from "@/lib/audit";
import { sha256Hex } from "@/lib/canonical";
import { activeVersionFor } from "@/lib/db/policy-versions";
import { AppError, badRequest } from "@/lib/errors";
import { type Action, type CompiledPolicy, compilePolicy, diffPolicies, evaluate, formatValidationError, parsePolicy, type Policy, type PolicyDiff } from "@/lib/policy";

import { usableVersion } from "./scope";
import { type DiffRequest, policyTextOf } from "./schemas";

export const MAX_EXAMPLES = 20;
const PAGE = 500;

/** The policy a tenant without any version runs: nothing matches, everything is denied. */
const EMPTY_POLICY: Policy = { version: 1, defaults: { decision: "deny" }, rules: [] };

export interface DecisionChange {
  trace_id: string | null;
  seq: number;
  ts: string;
  tool: string;
  subject: string | null;
  /** What the gateway recorded at the time (after limits and approvals). */
  recorded: string | null;
  before: Action;
  after: Action;
  rule_before: string | null;
  rule_after: string | null;
  /** Some argument was redacted in the log: the replay saw `{redacted, hmac}` or a `[redacted:…]` marker instead of the value. */
  redacted: boolean;
}

export interface ReplayReport {
  replayed: number;
  changed: number;
  /** Same decision, decided by another rule. */
  rule_changed: number;
  redacted: number;
  by_transition: Record<string, number>;
  examples: DecisionChange[];
  roles_assumed: string[];
  notes: string[];
  from: string | null;
  to: string | null;
}

/** Parses policy YAML or fails with 400 and every error located by line and column. */
export function parseOrReject(yaml: string, what = "proposed policy"): Policy {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) {
    throw new AppError(400, "invalid_policy", `${what} is not valid: ${formatValidationError(parsed.errors[0])}`, { errors: parsed.errors });
  }
  return parsed.policy;
}

/** The pure diff against what the tenant runs now (an empty deny-all policy when nothing). */

export async function currentPolicyOf(svc: Services, tenant: string): Promise<{ id: number | null; hash: string | null; policy: Policy }> {
  const { prisma } = await svc.db();
  const row = await activeVersionFor(prisma, tenant);
  if (!row) return { id: null, hash: null, policy: EMPTY_POLICY };
  const parsed = parsePolicy(row.yaml);
  if (!parsed.ok) {
    throw new AppError(409, "active_policy_invalid", `the active policy (version ${row.id}) does not validate: ${formatValidationError(parsed.errors[0])}; roll back or apply a valid version`, { errors: parsed.errors });
  }
  return { id: row.id, hash: row.hash, policy: parsed.policy };
}

/** A stored version the caller may use (else 404), parsed, as the base of a diff. */

async function storedPolicyOf(svc: Services, principal: Principal, id: number): Promise<{ id: number; hash: string; policy: Policy }> {
  const { prisma } = await svc.db();
  const row = await usableVersion(prisma, principal, id);
  const parsed = parsePolicy(row.yaml);
  if (!parsed.ok) throw new AppError(409, "stored_policy_invalid", `policy version ${row.id} does not validate: ${formatValidationError(parsed.errors[0])}`, { errors: parsed.errors });
  return { id: row.id, hash: row.hash, policy: parsed.policy };
}

/** A value redacted by key (`{redacted: true, …}`) or a secret redacted inside a string (`[redacted:<kind>:…]`). */

function hasRedaction(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return v.includes("[redacted:");
  if (v === null || typeof v !== "object" || depth > 64) return false;
  if (Array.isArray(v)) return v.some((x) => hasRedaction(x, depth + 1));
  const o = v as Record<string, unknown>;
  if (o.redacted === true) return true;
  return Object.values(o).some((x) => hasRedaction(x, depth + 1));
}

/**
 * Replays the tenant's most recent recorded tool calls (newest first, up to `limit`) through both
 * policies. Roles are not part of the record, so calls replay with no roles; the time is the
 * record's own. A record whose arguments were redacted still replays (conditions see the
 * `{redacted, hmac}` object) and is flagged.
 */

export async function replayDecisions(svc: Services, tenant: string, current: CompiledPolicy, proposed: CompiledPolicy, limit: number): Promise<ReplayReport> {
  const report: ReplayReport = {
    replayed: 0,
    changed: 0,
    rule_changed: 0,
    redacted: 0,
    by_transition: {},
    examples: [],
    roles_assumed: [],
    notes: [
      "calls are replayed with no roles (roles are not recorded with a call): rules on roles_any may decide differently for the real caller",
      "limits, quotas and approvals are not replayed: before/after are the policies' decisions, `recorded` is what the gateway did",
    ],
    from: null,
    to: null,
  };
  let cursor: string | undefined;
  const log = svc.audit;
  while (report.replayed < limit) {
    const page = await log.search(tenant, auditSearchQuerySchema.parse({ kind: "tool_decision", limit: Math.min(PAGE, limit - report.replayed), cursor }));
    for (const r of page.records) {
      // The record written after an approval wait repeats the same call: replay it once.
      if (!r.tool || (r.data as { after_wait?: unknown } | null)?.after_wait === true) continue;
      if (report.replayed >= limit) break;
      report.replayed++;
      report.to ??= r.ts;
      report.from = r.ts;
      const args = r.args !== null && typeof r.args === "object" && !Array.isArray(r.args) ? (r.args as Record<string, unknown>) : {};
      const redacted = hasRedaction(args);
      if (redacted) report.redacted++;
      // Costs are re-estimated from the arguments with today's catalog (the engine's default
      // estimator), as the gateway would price the call now.
      const context = { tenant, subject: r.subject ?? undefined, roles: [], now: new Date(r.ts) };
      const call = { tool: r.tool, arguments: args };
      const b = evaluate(call, current, context, { trace: false });
      const a = evaluate(call, proposed, context, { trace: false });
      if (b.decision === a.decision) {
        if (b.rule !== a.rule) report.rule_changed++;
        continue;
      }
      report.changed++;
      const key = `${b.decision}→${a.decision}`;
      report.by_transition[key] = (report.by_transition[key] ?? 0) + 1;
      if (report.examples.length < MAX_EXAMPLES) {
        report.examples.push({
          trace_id: r.trace_id,
          seq: r.seq,
          ts: r.ts,
          tool: r.tool,
          subject: r.subject,
          recorded: r.decision,
          before: b.decision,
          after: a.decision,
          rule_before: b.rule,
          rule_after: a.rule,
          redacted,
        });
      }
    }
    if (!page.next_cursor || page.records.length === 0) break;
    cursor = page.next_cursor;
  }
  if (report.redacted > 0) report.notes.push(`${report.redacted} replayed call(s) had redacted arguments: conditions on those arguments saw the redaction marker, not the value`);
  return report;
}

export interface DiffResult extends Omit<PolicyDiff, "defaults_changed" | "facts_changed"> {
  defaults_changed: PolicyDiff["defaults_changed"] | null;
  facts_changed: boolean;
  decision_changes: ReplayReport;
  current_version: number | null;
  current_hash: string | null;
  proposed_hash: string;
}

/**
 * Seed 000 §6D: the proposed policy against the tenant's active version: rule changes, risk,
 * headline, and the decisions that would change over the tenant's recent recorded calls.
 */

export async function diffAgainstActive(svc: Services, principal: Principal, proposedYaml: string, opts: { replay_limit?: number; against?: number } = {}): Promise<DiffResult> {
  const proposed = parseOrReject(proposedYaml);
  const current = opts.against === undefined ? await currentPolicyOf(svc, principal.tenant) : await storedPolicyOf(svc, principal, opts.against);
  const d = diffPolicies(current.policy, proposed);
  const limit = opts.replay_limit ?? 500;
  const compiledCurrent = compilePolicy(current.policy, { version: current.id === null ? "none" : String(current.id) });
  const compiledProposed = compilePolicy(proposed, { version: "proposed" });
  const decision_changes = await replayDecisions(svc, principal.tenant, compiledCurrent, compiledProposed, limit);
  return {
    headline: d.headline,
    risk: d.risk,
    rule_changes: d.rule_changes,
    defaults_changed: d.defaults_changed ?? null,
    facts_changed: d.facts_changed ?? false,
    decision_changes,
    current_version: current.id,
    current_hash: current.hash,
    proposed_hash: sha256Hex(proposedYaml),
  };
}

/**
 * POST /api/v1/policy/diff: the proposal (YAML, or a stored `version`) against the tenant's active
 * policy or the stored version `against`. Stored versions are the caller's own or the platform's;
 * any other id is "not found".
 */

export async function diffPolicy(svc: Services, principal: Principal, req: DiffRequest): Promise<DiffResult> {
  let yaml = policyTextOf(req);
  if (yaml === undefined && req.version !== undefined) {
    const { prisma } = await svc.db();
    yaml = (await usableVersion(prisma, principal, req.version)).yaml;
  }
  if (yaml === undefined) throw badRequest("send the proposed policy YAML: multipart field `proposed` (or `policy`, `file`), JSON {\"proposed\": \"…\"}, a text/yaml body, or a stored version id in `version`");
  return diffAgainstActive(svc, principal, yaml, { replay_limit: req.replay_limit, against: req.against });
}
