import { Prisma, type PrismaClient } from "./generated/client";

/** A break-glass activation as stored (table ops_emergency_grants). */
export interface OpsEmergencyRow {
  id: string;
  tenantId: string;
  scope: string;
  reason: string;
  activatedBy: string;
  activatedAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endedBy: string | null;
}

/** The tenant's live activation at `now` (not ended, not expired), if any. */
export async function liveEmergencyRow(prisma: PrismaClient, tenantId: string, now: Date): Promise<OpsEmergencyRow | null> {
  return prisma.opsEmergencyGrant.findFirst({ where: { tenantId, endedAt: null, expiresAt: { gt: now } }, orderBy: { activatedAt: "desc" } });
}

/**
 * Stores an activation unless the tenant already has a live one (checked and written in one
 * serializable transaction, so two admins racing get one activation). Null when one is live.
 */
export async function insertEmergencyRow(prisma: PrismaClient, row: Omit<OpsEmergencyRow, "endedAt" | "endedBy">): Promise<OpsEmergencyRow | null> {
  try {
    return await prisma.$transaction(
      async (tx) => {
        const live = await tx.opsEmergencyGrant.findFirst({ where: { tenantId: row.tenantId, endedAt: null, expiresAt: { gt: row.activatedAt } }, select: { id: true } });
        if (live) return null;
        return tx.opsEmergencyGrant.create({ data: row });
      },
      { isolationLevel: "Serializable" },
    );
  } catch (e) {
    // A concurrent activation won the race (serialization failure): this one did not happen.
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2034") return null;
    throw e;
  }
}

/** Ends the tenant's live activation; null when none was live. */
export async function endEmergencyRow(prisma: PrismaClient, tenantId: string, now: Date, by: string): Promise<OpsEmergencyRow | null> {
  const live = await liveEmergencyRow(prisma, tenantId, now);
  if (!live) return null;
  const r = await prisma.opsEmergencyGrant.updateMany({ where: { id: live.id, endedAt: null }, data: { endedAt: now, endedBy: by } });
  return r.count === 1 ? { ...live, endedAt: now, endedBy: by } : null;
}

/** The tenant's newest activations (live or not), newest first. */
export async function recentEmergencyRows(prisma: PrismaClient, tenantId: string, limit: number): Promise<OpsEmergencyRow[]> {
  return prisma.opsEmergencyGrant.findMany({ where: { tenantId }, orderBy: { activatedAt: "desc" }, take: limit });
}
