/**
 * What the live simulation evaluates: the tenant's recorded calls (tool_decision records of the
 * audit log) and the author's test cases, as simulate bodies, with the reasons a recorded call's
 * simulation may not be what the real caller would get ("approximate").
 */
import type { Action, AuditRecord, SimCall } from "./policy-api";

export type ApproxReason = "redacted" | "roles_unknown" | "args_missing";

export const APPROX_TEXT: Record<ApproxReason, string> = {
  redacted: "arguments were redacted in the log: conditions on them saw the redaction marker, not the value",
  roles_unknown: "the caller's roles are not recorded: it is simulated with no roles, and a policy tests roles_any",
  args_missing: "the call's arguments were not recorded (refused before they were read)",
};

export interface SimCase {
  /** Stable per case: `rec:<seq>` or `test:<id>`. */
  id: string;
  source: "recorded" | "test";
  label: string;
  call: SimCall;
  /** Identity of the simulate body (for caching results across keystrokes). */
  key: string;
  redacted: boolean;
  rolesKnown: boolean;
  argsMissing: boolean;
  recorded?: { seq: number; ts: string; decision: string | null; rule: string | null; trace_id: string | null; policy_version: number | null };
  expected?: { decision: Action; rule?: string | null };
}

/** JSON with object keys sorted, so equal calls have equal keys whatever the key order. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(",")}}`;
}

export function callKey(call: SimCall): string {
  return stableJson(call);
}

/**
 * A value redacted by key (`{"redacted": true, …}`) or a secret redacted inside a string
 * (`[redacted:<kind>:…]`): the audit log's two redaction forms (lib/audit/redact).
 */
export function hasRedaction(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return v.includes("[redacted:");
  if (v === null || typeof v !== "object" || depth > 64) return false;
  if (Array.isArray(v)) return v.some((x) => hasRedaction(x, depth + 1));
  const o = v as Record<string, unknown>;
  if (o.redacted === true) return true;
  return Object.values(o).some((x) => hasRedaction(x, depth + 1));
}

/** True when the policy text tests the caller's roles (roles_any is the only condition that reads them). */
export function readsCallerRoles(policyText: string | null | undefined): boolean {
  return typeof policyText === "string" && /(^|[\s{,"'])roles_any["']?\s*:/m.test(policyText);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The most recent recorded calls as cases, newest first, at most `limit`. The record written after
 * an approval wait repeats the same call and is skipped (the diff's replay does the same). A call
 * is decided at its own time, as its subject, with the roles the record carries (none today: roles
 * are not recorded with a call, so they are "unknown").
 */
export function recordedCases(records: readonly AuditRecord[], limit = 200): SimCase[] {
  const out: SimCase[] = [];
  for (const r of records) {
    if (out.length >= limit) break;
    if (r.kind !== "tool_decision" || !r.tool) continue;
    const data = isPlainObject(r.data) ? r.data : {};
    if (data.after_wait === true) continue;
    const argsMissing = !isPlainObject(r.args);
    const args = isPlainObject(r.args) ? r.args : {};
    const roles = Array.isArray(data.roles) && data.roles.every((x) => typeof x === "string") ? (data.roles as string[]) : null;
    const call: SimCall = { tool: r.tool, arguments: args, roles: roles ?? [], at: r.ts, ...(r.subject ? { subject: r.subject } : {}) };
    out.push({
      id: `rec:${r.seq}`,
      source: "recorded",
      label: r.tool,
      call,
      key: callKey(call),
      redacted: hasRedaction(args),
      rolesKnown: roles !== null,
      argsMissing,
      recorded: { seq: r.seq, ts: r.ts, decision: r.decision, rule: r.rule, trace_id: r.trace_id, policy_version: r.policy_version },
    });
  }
  return out;
}

/** Why a case's simulation may differ from what the real caller gets, given the policies compared. */
export function approximateReasons(c: SimCase, policyTexts: readonly (string | null | undefined)[]): ApproxReason[] {
  const reasons: ApproxReason[] = [];
  if (c.redacted) reasons.push("redacted");
  if (c.argsMissing) reasons.push("args_missing");
  if (!c.rolesKnown && policyTexts.some(readsCallerRoles)) reasons.push("roles_unknown");
  return reasons;
}
