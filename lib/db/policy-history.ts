import type { PrismaClient } from "./generated/client";
import { rolloutsCovering } from "./policy-versions";

/** The versions a tenant ran (rollouts that covered it), newest first, with their hashes. */
export async function versionsRunBy(prisma: PrismaClient, tenantId: string): Promise<{ id: number; hash: string }[]> {
  const ids = [...new Set((await rolloutsCovering(prisma, tenantId)).map((r) => r.versionId))];
  const pins = await prisma.tenantPolicyPin.findUnique({ where: { tenantId }, select: { versionId: true } });
  if (pins && !ids.includes(pins.versionId)) ids.unshift(pins.versionId);
  if (ids.length === 0) return [];
  const rows = await prisma.policyVersion.findMany({ where: { id: { in: ids } }, select: { id: true, hash: true } });
  const byId = new Map(rows.map((r) => [r.id, r.hash]));
  return ids.flatMap((id) => (byId.has(id) ? [{ id, hash: byId.get(id)! }] : []));
}
