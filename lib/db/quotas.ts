import { Prisma, type PrismaClient } from "./generated/client";

/** One row of quotas: tool "*" holds the tenant-wide limits. null = no limit. */
export interface QuotaRowInput {
  tool: string;
  requestsPerMinute: number | null;
  maxConcurrent: number | null;
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
}

export interface QuotaRow extends QuotaRowInput {
  tenantId: string;
  updatedBy: string | null;
  updatedAt: Date;
}

export interface UsageRow {
  tenantId: string;
  tool: string;
  /** "day:2026-11-21" or "month:2026-11". */
  window: string;
  requests: number;
  costUsd: number;
}

export async function listQuotas(prisma: PrismaClient, tenantId: string): Promise<QuotaRow[]> {
  return prisma.quota.findMany({ where: { tenantId }, orderBy: { tool: "asc" } });
}

/**
 * Replaces a tenant's whole quota configuration in one transaction: rows not given are deleted,
 * so a PUT is idempotent and never leaves a stale per-tool limit behind.
 */
export async function replaceQuotas(prisma: PrismaClient, tenantId: string, rows: QuotaRowInput[], updatedBy: string): Promise<QuotaRow[]> {
  const at = new Date();
  await prisma.$transaction([
    prisma.quota.deleteMany({ where: { tenantId, tool: { notIn: rows.map((r) => r.tool) } } }),
    ...rows.map((r) =>
      prisma.quota.upsert({
        where: { tenantId_tool: { tenantId, tool: r.tool } },
        create: { tenantId, ...r, updatedBy, updatedAt: at },
        update: { ...r, updatedBy, updatedAt: at },
      }),
    ),
  ]);
  return listQuotas(prisma, tenantId);
}

export async function getUsage(prisma: PrismaClient, tenantId: string, windows: string[]): Promise<UsageRow[]> {
  return prisma.usageCounter.findMany({
    where: { tenantId, window: { in: windows } },
    select: { tenantId: true, tool: true, window: true, requests: true, costUsd: true },
  });
}

/**
 * Writes absolute counter values read from Redis. GREATEST keeps the larger figure: counters only
 * grow within a window, so a replica flushing an older reading never rolls usage back.
 */
export async function upsertUsage(prisma: PrismaClient, rows: UsageRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const values = rows.map((r) => Prisma.sql`(${r.tenantId}, ${r.tool}, ${r.window}, ${r.requests}, ${r.costUsd}, now())`);
  return prisma.$executeRaw`
    INSERT INTO "usage_counters" ("tenant_id", "tool", "window", "requests", "cost_usd", "updated_at")
    VALUES ${Prisma.join(values)}
    ON CONFLICT ("tenant_id", "tool", "window") DO UPDATE SET
      "requests" = GREATEST("usage_counters"."requests", EXCLUDED."requests"),
      "cost_usd" = GREATEST("usage_counters"."cost_usd", EXCLUDED."cost_usd"),
      "updated_at" = now()`;
}
