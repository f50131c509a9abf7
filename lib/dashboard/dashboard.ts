import type { Principal } from "@/lib/auth/principal";
import { requirePlatformAdmin } from "@/lib/auth/platform";
import { type ActivityAggregate, activityAggregate, approvalActivity } from "@/lib/db/activity";
import { getTenant } from "@/lib/db/tenants";
import { notFound } from "@/lib/errors";
import type { Services } from "@/lib/server/types";
import { histogramPercentile } from "./histogram";
import { DASHBOARD_BUCKETS, DASHBOARD_RANGES, DECISION_SERIES, DEFAULT_BUCKET, type Dashboard, type DashboardQuery, type DecisionSeries } from "./schemas";

/** The buckets of a range ending now: whole epoch-aligned buckets, the last one holding `now`. Pure. */
export function dashboardWindow(q: Pick<DashboardQuery, "range" | "bucket">, now: Date) {
  const bucket = q.bucket ?? DEFAULT_BUCKET[q.range];
  const step = DASHBOARD_BUCKETS[bucket] * 1000;
  const to = Math.floor(now.getTime() / step) * step + step;
  const n = Math.ceil((DASHBOARD_RANGES[q.range] * 1000) / step);
  const from = to - n * step;
  // Whole-hour buckets come from the hourly rollup; shorter ones from the records.
  const source = step % 3_600_000 === 0 ? ("rollup" as const) : ("records" as const);
  return { bucket, bucketSeconds: step / 1000, from: new Date(from), to: new Date(to), n, source };
}

const seriesKey = (k: string): DecisionSeries => ((DECISION_SERIES as readonly string[]).includes(k) ? (k as DecisionSeries) : "other");

/** Zero-filled buckets of the series, and the totals of the range. Pure. */
export function shapeSeries(agg: ActivityAggregate, from: Date, n: number, bucketSeconds: number) {
  const zero = () => ({ allow: 0, deny: 0, approval: 0, error: 0, other: 0 });
  const byAt = new Map<string, ReturnType<typeof zero>>();
  for (const r of agg.series) {
    const row = byAt.get(r.at) ?? zero();
    row[seriesKey(r.key)] += r.count;
    byAt.set(r.at, row);
  }
  const series = Array.from({ length: n }, (_, i) => {
    const at = new Date(from.getTime() + i * bucketSeconds * 1000).toISOString();
    return { at, to: new Date(from.getTime() + (i + 1) * bucketSeconds * 1000).toISOString(), ...(byAt.get(at) ?? zero()) };
  });
  const totals = { decisions: 0, ...zero() };
  for (const s of series) for (const k of DECISION_SERIES) totals[k] += s[k];
  totals.decisions = totals.allow + totals.deny + totals.approval + totals.other;
  return { series, totals };
}

function latency(agg: ActivityAggregate, dim: "lat_decision" | "lat_upstream") {
  const buckets = agg.totals.filter((t) => t.dim === dim).map((t) => ({ key: Number(t.key), count: t.count }));
  const count = buckets.reduce((n, b) => n + b.count, 0);
  if (count === 0) return null;
  return { count, p50_ms: histogramPercentile(buckets, 0.5)!, p95_ms: histogramPercentile(buckets, 0.95)! };
}

/**
 * The tenant's dashboard: decisions over time, top tools and denials, latency, approvals and
 * budget use, all aggregated by Postgres. The caller's own tenant unless a platform admin picks another.
 */
export async function tenantDashboard(svc: Services, principal: Principal, q: DashboardQuery, now: Date = new Date()): Promise<Dashboard> {
  const tenant = q.tenant ?? principal.tenant;
  const db = await svc.db();
  if (tenant !== principal.tenant) {
    requirePlatformAdmin(principal, `reading the dashboard of tenant ${tenant}`);
    if (!(await getTenant(db.prisma, tenant))) throw notFound(`tenant ${tenant} does not exist`);
  }
  const w = dashboardWindow(q, now);
  const [agg, approvals, config, usage] = await Promise.all([
    activityAggregate(db, tenant, { from: w.from, to: w.to, bucketSeconds: w.bucketSeconds, top: q.top, source: w.source }),
    approvalActivity(db, tenant, w.from, w.to, now),
    svc.quotas.getConfig(tenant),
    svc.quotas.getUsage(tenant, [], now.getTime()),
  ]);
  const ranked = (dim: string) => agg.totals.filter((t) => t.dim === dim);
  return {
    tenant,
    range: q.range,
    bucket: w.bucket,
    bucket_seconds: w.bucketSeconds,
    from: w.from.toISOString(),
    to: w.to.toISOString(),
    generated_at: now.toISOString(),
    source: w.source,
    ...shapeSeries(agg, w.from, w.n, w.bucketSeconds),
    top_tools: ranked("tool").map((t) => ({ tool: t.key, count: t.count })),
    top_denied_tools: ranked("deny_tool").map((t) => ({ tool: t.key, count: t.count })),
    top_denied_rules: ranked("deny_rule").map((t) => ({ rule: t.key === "" ? null : t.key, count: t.count })),
    latency: { decision: latency(agg, "lat_decision"), upstream: latency(agg, "lat_upstream") },
    approvals: {
      pending: approvals.pending,
      approved: approvals.resolved.approved ?? 0,
      rejected: approvals.resolved.rejected ?? 0,
      expired: approvals.resolved.expired ?? 0,
      executed: approvals.resolved.executed ?? 0,
      p50_seconds: approvals.p50_seconds,
      p95_seconds: approvals.p95_seconds,
    },
    budget: {
      daily_budget_usd: config.daily_budget_usd ?? null,
      monthly_budget_usd: config.monthly_budget_usd ?? null,
      day_spent_usd: usage.day.spent_usd,
      month_spent_usd: usage.month.spent_usd,
      day_requests: usage.day.requests,
      month_requests: usage.month.requests,
    },
  };
}

