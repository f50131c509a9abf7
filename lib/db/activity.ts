import { Prisma, type PrismaClient } from "./generated/client";

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
