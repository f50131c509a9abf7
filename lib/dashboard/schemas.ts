import { z } from "zod";

/**
 * The console dashboard's request and response (imports nothing but zod: shared by the route,
 * the lib, the TanStack Query hook and the OpenAPI document).
 */

export const DASHBOARD_RANGES = { "1h": 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400 } as const;
export type DashboardRange = keyof typeof DASHBOARD_RANGES;
export const DASHBOARD_BUCKETS = { minute: 60, "5m": 300, hour: 3600, "6h": 6 * 3600, day: 86_400 } as const;
export type DashboardBucket = keyof typeof DASHBOARD_BUCKETS;
/** Each range's bucket unless the caller picks one. */
export const DEFAULT_BUCKET: Record<DashboardRange, DashboardBucket> = { "1h": "minute", "24h": "hour", "7d": "6h", "30d": "day" };
/** The most buckets one answer may hold (a minute per bucket over a day). */
export const MAX_BUCKETS = 1440;
/** Sub-hour buckets are counted from the records themselves: only over ranges this short. */
export const MAX_RECORDS_RANGE_SECONDS = 86_400;

export const dashboardQuerySchema = z
  .object({
    /** Another tenant than the caller's: platform admins only. */
    tenant: z.string().min(1).max(200).optional(),
    range: z.enum(Object.keys(DASHBOARD_RANGES) as [DashboardRange, ...DashboardRange[]]).default("24h"),
    bucket: z.enum(Object.keys(DASHBOARD_BUCKETS) as [DashboardBucket, ...DashboardBucket[]]).optional(),
    /** How many tools and rules the top lists hold. */
    top: z.coerce.number().int().min(1).max(50).default(10),
  })
  .superRefine((q, ctx) => {
    if (!q.bucket) return;
    const range = DASHBOARD_RANGES[q.range];
    const bucket = DASHBOARD_BUCKETS[q.bucket];
    if (bucket > range) ctx.addIssue({ code: "custom", path: ["bucket"], message: `a ${q.bucket} bucket is longer than the ${q.range} range` });
    else if (range / bucket > MAX_BUCKETS) ctx.addIssue({ code: "custom", path: ["bucket"], message: `${q.range} in ${q.bucket} buckets is ${range / bucket} buckets; at most ${MAX_BUCKETS}` });
    else if (bucket < 3600 && range > MAX_RECORDS_RANGE_SECONDS) ctx.addIssue({ code: "custom", path: ["bucket"], message: `buckets shorter than an hour are offered for ranges up to 24h` });
  });
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

const count = z.number().int().nonnegative();
export const DECISION_SERIES = ["allow", "deny", "approval", "error", "other"] as const;
export type DecisionSeries = (typeof DECISION_SERIES)[number];

const latencySchema = z.object({ count, p50_ms: z.number(), p95_ms: z.number() }).nullable();

export const dashboardSchema = z.object({
  tenant: z.string(),
  range: z.string(),
  bucket: z.string(),
  bucket_seconds: z.number().int().positive(),
  /** [from, to): whole buckets, the last one holding now. */
  from: z.string(),
  to: z.string(),
  generated_at: z.string(),
  /** rollup: the hourly rollup table; records: the audit records (sub-hour buckets). */
  source: z.enum(["rollup", "records"]),
  /** Every bucket of the range, oldest first (zero-filled): decisions by outcome; error = the upstream failed. */
  series: z.array(z.object({ at: z.string(), to: z.string(), allow: count, deny: count, approval: count, error: count, other: count })),
  totals: z.object({ decisions: count, allow: count, deny: count, approval: count, error: count, other: count }),
  top_tools: z.array(z.object({ tool: z.string(), count })),
  top_denied_tools: z.array(z.object({ tool: z.string(), count })),
  /** rule null: denials no rule decided (limits, budgets, unavailable approvals…). */
  top_denied_rules: z.array(z.object({ rule: z.string().nullable(), count })),
  /** From 10 %-wide histogram buckets: each percentile is its bucket's upper bound (never under-reported). */
  latency: z.object({ decision: latencySchema, upstream: latencySchema }),
  approvals: z.object({
    pending: count,
    approved: count,
    rejected: count,
    expired: count,
    executed: count,
    p50_seconds: z.number().nullable(),
    p95_seconds: z.number().nullable(),
  }),
  budget: z.object({
    daily_budget_usd: z.number().nullable(),
    monthly_budget_usd: z.number().nullable(),
    day_spent_usd: z.number(),
    month_spent_usd: z.number(),
    day_requests: count,
    month_requests: count,
  }),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
