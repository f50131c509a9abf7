import { Prisma, type PrismaClient } from "./generated/client";
import type { Db } from "./client";

/**
 * Activity aggregations for the console's charts, computed by Postgres in time buckets over the
 * indexed (tenant_id, kind, ts) range: only the buckets travel to Node, never the records.
 */

export interface Bucket {
  at: Date;
  count: number;
}

/** Tool calls (decisions) per `unit` bucket in [from, to). */
export async function callsPerBucket(prisma: PrismaClient, tenantId: string, from: Date, to: Date, unit: "minute" | "hour" | "day"): Promise<Bucket[]> {
  const rows = await prisma.$queryRaw<{ at: Date; count: bigint }[]>`
    SELECT date_trunc(${unit}, "ts") AS at, count(*) AS count
    FROM "audit_records"
    WHERE "tenant_id" = ${tenantId} AND "kind" = 'tool_decision' AND "ts" >= ${from} AND "ts" < ${to}
    GROUP BY 1 ORDER BY 1`;
  return rows.map((r) => ({ at: r.at, count: Number(r.count) }));
}

/** The tenant-wide spend of each UTC day in [fromDay, toDay] (YYYY-MM-DD), from the persisted usage counters. */
export async function dailySpend(prisma: PrismaClient, tenantId: string, days: string[]): Promise<{ day: string; usd: number; requests: number }[]> {
  if (days.length === 0) return [];
  const rows = await prisma.usageCounter.findMany({
    where: { tenantId, tool: "*", window: { in: days.map((d) => `day:${d}`) } },
    select: { window: true, costUsd: true, requests: true },
  });
  const by = new Map(rows.map((r) => [r.window.slice(4), r]));
  return days.map((day) => ({ day, usd: by.get(day)?.costUsd ?? 0, requests: by.get(day)?.requests ?? 0 }));
}

export { Prisma };

/**
 * The dashboard's aggregates. Dimensions (see migration audit_activity's canopy_audit_activity_keys):
 * `series` (decision of each tool_decision, "error" for a failed upstream result), `tool`,
 * `deny_tool`, `deny_rule` (calls and denials per tool and rule) and the latency histograms
 * `lat_decision` and `lat_upstream` (key = 10 % bucket index).
 */
export const ACTIVITY_RANKED_DIMS = ["tool", "deny_tool", "deny_rule"] as const;
export const ACTIVITY_HISTOGRAM_DIMS = ["lat_decision", "lat_upstream"] as const;
export type ActivityDim = "series" | (typeof ACTIVITY_RANKED_DIMS)[number] | (typeof ACTIVITY_HISTOGRAM_DIMS)[number];

export interface ActivityAggregate {
  /** Counts of the `series` dimension per bucket start (only non-empty buckets). */
  series: { at: string; key: string; count: number }[];
  /** Totals over the range: the `top` largest keys of each ranked dimension, every histogram key. */
  totals: { dim: ActivityDim; key: string; count: number }[];
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const utc = (p: string) => `(${p}::timestamptz AT TIME ZONE 'UTC')`;

/**
 * Where the rows come from, as (dim, key, t, n): the hourly rollup (any range of whole hours,
 * a few rows per hour whatever the traffic) or the records themselves (sub-hour buckets; the
 * planner walks the (tenant_id, ts) index over the range only).
 */
const SOURCES = {
  rollup: `SELECT "dim", "key", "hour" AS t, "count" AS n FROM "audit_activity"
    WHERE "tenant_id" = $1 AND "hour" >= ${utc("$2")} AND "hour" < ${utc("$3")}`,
  records: `SELECT k."dim", k."key", r."ts" AS t, 1::bigint AS n FROM "audit_records" r
    CROSS JOIN LATERAL "canopy_audit_activity_keys"(r."kind", r."decision", r."tool", r."rule", r."upstream_outcome", r."latency_ms") k
    WHERE r."tenant_id" = $1 AND r."ts" >= ${utc("$2")} AND r."ts" < ${utc("$3")} AND r."kind" IN ('tool_decision', 'tool_result')`,
} as const;
export type ActivitySource = keyof typeof SOURCES;

/**
 * Aggregates [from, to) in buckets of `bucketSeconds` aligned on the Unix epoch (UTC). With the
 * rollup source, from and to must be whole hours and the bucket a multiple of an hour.
 */
export async function activityAggregate(
  db: Db,
  tenant: string,
  range: { from: Date; to: Date; bucketSeconds: number; top: number; source: ActivitySource },
): Promise<ActivityAggregate> {
  const { from, to, bucketSeconds, top, source } = range;
  if (source === "rollup" && (from.getTime() % 3_600_000 !== 0 || to.getTime() % 3_600_000 !== 0 || bucketSeconds % 3600 !== 0)) {
    throw new Error("the hourly rollup answers whole hours only");
  }
  const base = [tenant, from.toISOString(), to.toISOString()];
  const [series, totals] = await Promise.all([
    db.sql.query(
      `SELECT to_char(date_bin(make_interval(secs => $4), s.t, timestamp '1970-01-01'), ${ISO}) AS at, s."key", sum(s.n)::text AS count
       FROM (${SOURCES[source]}) s WHERE s."dim" = 'series' GROUP BY 1, 2 ORDER BY 1, 2`,
      [...base, bucketSeconds],
    ),
    db.sql.query(
      `SELECT "dim", "key", count FROM (
         SELECT s."dim", s."key", sum(s.n)::text AS count,
           row_number() OVER (PARTITION BY s."dim" ORDER BY sum(s.n) DESC, s."key") AS rank
         FROM (${SOURCES[source]}) s WHERE s."dim" = ANY($4::text[]) GROUP BY 1, 2
       ) ranked WHERE rank <= $5 OR "dim" = ANY($6::text[]) ORDER BY 1, 3 DESC, 2`,
      [...base, [...ACTIVITY_RANKED_DIMS, ...ACTIVITY_HISTOGRAM_DIMS], top, [...ACTIVITY_HISTOGRAM_DIMS]],
    ),
  ]);
  return {
    series: series.map((r) => ({ at: r.at as string, key: r.key as string, count: Number(r.count) })),
    totals: totals
      .map((r) => ({ dim: r.dim as ActivityDim, key: r.key as string, count: Number(r.count) }))
      .sort((a, b) => (a.dim === b.dim ? b.count - a.count || (a.key < b.key ? -1 : 1) : a.dim < b.dim ? -1 : 1)),
  };
}

/**
 * Approvals of the tenant: pending now, and those resolved in [from, to) by status with their
 * time from request to decision (an expiry is no decision: left out of the percentiles).
 */
export async function approvalActivity(db: Db, tenant: string, from: Date, to: Date, now: Date): Promise<{
  pending: number;
  resolved: Record<string, number>;
  p50_seconds: number | null;
  p95_seconds: number | null;
}> {
  const [pending, resolved] = await Promise.all([
    db.sql.query(`SELECT count(*)::text AS n FROM "approvals" WHERE "tenant_id" = $1 AND "status" = 'pending' AND "expires_at" > ${utc("$2")}`, [tenant, now.toISOString()]),
    db.sql.query(
      `SELECT coalesce("status", 'all') AS status, count(*)::text AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "resolved_at" - "created_at")) FILTER (WHERE "status" <> 'expired') AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM "resolved_at" - "created_at")) FILTER (WHERE "status" <> 'expired') AS p95
       FROM "approvals" WHERE "tenant_id" = $1 AND "resolved_at" >= ${utc("$2")} AND "resolved_at" < ${utc("$3")}
       GROUP BY GROUPING SETS (("status"), ())`,
      [tenant, from.toISOString(), to.toISOString()],
    ),
  ]);
  const all = resolved.find((r) => r.status === "all");
  const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);
  return {
    pending: Number(pending[0]?.n ?? 0),
    resolved: Object.fromEntries(resolved.filter((r) => r.status !== "all").map((r) => [r.status as string, Number(r.n)])),
    p50_seconds: num(all?.p50),
    p95_seconds: num(all?.p95),
  };
}
