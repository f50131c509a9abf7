import type { MeterOp, MeterResult } from "@/lib/redis";
import { fromMicros, quotaKeys, type Scope, toMicros } from "./keys";
import type { LimitName, Limits, QuotaConfig } from "./limits";
import { dayWindow, minuteWindow, monthWindow, usageWindow, type Window } from "./windows";

export interface AdmitInput {
  tenant: string;
  /** The exposed tool name of the call. */
  tool: string;
  /** Estimated cost (lib/cost), consumed from the daily and monthly budgets on admission. */
  costUsd: number;
  /**
   * false: a cloud operation the price catalog cannot price. Refused (limit `budget_unknown_cost`)
   * whenever a daily or monthly budget applies to the call, unless `allowUnknownCost`. Default true.
   */
  costKnown?: boolean;
  /** The active policy's `defaults.unknown_cost: allow`: admit an unknown cost at $0. */
  allowUnknownCost?: boolean;
  now: Date | number;
  /** How long a concurrency slot is held if release() is never called (a crashed call). */
  leaseMs?: number;
}

/** What refused the call: one of the limits, or a budget that cannot meter a call of unknown cost. */
export type DenialLimit = LimitName | "budget_unknown_cost";

export interface QuotaDenial {
  ok: false;
  limit: DenialLimit;
  scope: "tenant" | "tool";
  tool: string;
  limit_value: number;
  /** Requests this minute, calls in flight, or USD spent in the window, before this call. */
  current: number;
  /** When the window resets (rate and budgets) or the oldest lease expires at the latest (concurrency). */
  resets_at: string | null;
  message: string;
}

/** Usage already persisted in Postgres, restored into Redis counters that were lost. */
export type PersistedUsage = Map<string, { requests: number; costUsd: number }>;
export const usageKey = (scope: Scope, window: string) => `${scope}|${window}`;

export interface UsageMark {
  tenant: string;
  scope: Scope;
  window: Window;
}

interface Check {
  limit: LimitName;
  scope: "tenant" | "tool";
  value: number;
  resetsAt: number | null;
}

export interface AdmitPlan {
  ops: MeterOp[];
  checks: Map<number, Check>;
  release: MeterOp[];
  marks: UsageMark[];
}

const DAY = 86_400_000;

/**
 * The meter ops of one admission. Limit checks come first in a fixed order (rate, concurrency,
 * daily, monthly; tenant before tool), so the first failing one is the one reported; the
 * unlimited request and spend counters after them feed usage persistence.
 */
export function planAdmission(input: AdmitInput, config: QuotaConfig, usage: PersistedUsage, leaseId: string, leaseMs: number): AdmitPlan {
  const now = typeof input.now === "number" ? input.now : input.now.getTime();
  const cost = toMicros(input.costUsd);
  const minute = minuteWindow(now);
  const day = dayWindow(now);
  const month = monthWindow(now);
  const scopes: [Scope, "tenant" | "tool", Limits][] = [["*", "tenant", config]];
  const own = config.tools[input.tool];
  if (own) scopes.push([input.tool, "tool", own]);

  const ops: MeterOp[] = [];
  const checks = new Map<number, Check>();
  const release: MeterOp[] = [];
  const check = (op: MeterOp, c: Check) => {
    checks.set(ops.length, c);
    ops.push(op);
  };
  // Counters outlive their window by a day so the last flush can still read them.
  const ttl = (w: Window) => Math.max(1, w.endsAt - now) + DAY;
  const persisted = (scope: Scope, w: Window) => usage.get(usageKey(scope, usageWindow(w)));

  for (const [scope, name, l] of scopes) {
    if (l.requests_per_minute !== null) {
      check(
        { type: "add", key: quotaKeys.requests(input.tenant, scope, minute), amount: 1, limit: l.requests_per_minute, ttlMs: 120_000 },
        { limit: "requests_per_minute", scope: name, value: l.requests_per_minute, resetsAt: minute.endsAt },
      );
    }
  }
  for (const [scope, name, l] of scopes) {
    if (l.max_concurrent !== null) {
      const key = quotaKeys.leases(input.tenant, scope);
      check({ type: "lease", key, member: leaseId, limit: l.max_concurrent, ttlMs: leaseMs, now }, { limit: "max_concurrent", scope: name, value: l.max_concurrent, resetsAt: null });
      release.push({ type: "unlease", key, member: leaseId });
    }
  }
  for (const [budget, w] of [["daily_budget_usd", day], ["monthly_budget_usd", month]] as const) {
    for (const [scope, name, l] of scopes) {
      const limit = l[budget];
      if (limit === null) continue;
      check(
        { type: "add", key: quotaKeys.spend(input.tenant, scope, w), amount: cost, limit: toMicros(limit), ttlMs: ttl(w), init: toMicros(persisted(scope, w)?.costUsd ?? 0) },
        { limit: budget, scope: name, value: limit, resetsAt: w.endsAt },
      );
    }
  }
  const marks: UsageMark[] = [];
  for (const [scope, , l] of scopes) {
    for (const w of [day, month]) {
      const budget = w.kind === "day" ? l.daily_budget_usd : l.monthly_budget_usd;
      if (budget === null) {
        ops.push({ type: "add", key: quotaKeys.spend(input.tenant, scope, w), amount: cost, ttlMs: ttl(w), init: toMicros(persisted(scope, w)?.costUsd ?? 0) });
      }
      ops.push({ type: "add", key: quotaKeys.requests(input.tenant, scope, w), amount: 1, ttlMs: ttl(w), init: persisted(scope, w)?.requests ?? 0 });
      marks.push({ tenant: input.tenant, scope, window: w });
    }
  }
  return { ops, checks, release, marks };
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

/** True for the daily and monthly budget checks. */
const isBudget = (l: LimitName) => l === "daily_budget_usd" || l === "monthly_budget_usd";

/**
 * The refusal of a call of unknown cost when a budget applies: the first budget check of the
 * plan, with what it had spent (read from the admission's own meter values), or null when no
 * budget applies to the call.
 */
export function unknownCostDenial(plan: AdmitPlan, values: readonly number[], input: AdmitInput): QuotaDenial | null {
  for (const [index, c] of plan.checks) {
    if (!isBudget(c.limit)) continue;
    const who = c.scope === "tenant" ? `tenant ${input.tenant}` : `tool ${input.tool} in tenant ${input.tenant}`;
    const period = c.limit === "daily_budget_usd" ? "daily" : "monthly";
    return {
      ok: false,
      limit: "budget_unknown_cost",
      scope: c.scope,
      tool: input.tool,
      limit_value: c.value,
      current: fromMicros(values[index] ?? 0),
      resets_at: c.resetsAt === null ? null : new Date(c.resetsAt).toISOString(),
      message: `the cost of this call is unknown (a cloud operation the price catalog cannot price), so the ${period} budget of ${money(c.value)} for ${who} cannot meter it; the call is refused. Use an action the catalog lists, or ask a policy author to set \`defaults.unknown_cost: allow\` to admit such calls at $0`,
    };
  }
  return null;
}

/** The denial for a failed meter result, in the caller's words. */
export function denialOf(result: Extract<MeterResult, { ok: false }>, plan: AdmitPlan, input: AdmitInput): QuotaDenial {
  const c = plan.checks.get(result.index);
  if (!c) throw new Error(`quota: meter failed on op ${result.index}, which has no limit`);
  const who = c.scope === "tenant" ? `tenant ${input.tenant}` : `tool ${input.tool} in tenant ${input.tenant}`;
  const isMoney = c.limit === "daily_budget_usd" || c.limit === "monthly_budget_usd";
  const current = isMoney ? fromMicros(result.current) : result.current;
  const resetsAt = c.resetsAt ?? result.earliestExpiry ?? null;
  const resets = resetsAt === null ? null : new Date(resetsAt).toISOString();
  let message: string;
  if (c.limit === "requests_per_minute") message = `rate limit reached: ${c.value} requests per minute for ${who}; resets at ${resets}`;
  else if (c.limit === "max_concurrent") message = `concurrency limit reached: ${c.value} calls at once for ${who}; retry when one finishes`;
  else {
    const period = c.limit === "daily_budget_usd" ? "daily" : "monthly";
    message = `${period} budget of ${money(c.value)} for ${who} would be exceeded: ${money(current)} spent, this call is estimated at ${money(input.costUsd)}; resets at ${resets}`;
  }
  return { ok: false, limit: c.limit, scope: c.scope, tool: input.tool, limit_value: c.value, current, resets_at: resets, message };
}
