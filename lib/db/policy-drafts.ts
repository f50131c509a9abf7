import type { PrismaClient } from "./generated/client";

export interface DraftRow {
  tenantId: string;
  author: string;
  text: string;
  baseVersion: number | null;
  updatedAt: Date;
}

export async function getDraft(prisma: PrismaClient, tenantId: string, author: string): Promise<DraftRow | null> {
  return prisma.policyDraft.findUnique({ where: { tenantId_author: { tenantId, author } } });
}

export async function saveDraft(prisma: PrismaClient, d: { tenantId: string; author: string; text: string; baseVersion: number | null }): Promise<DraftRow> {
  return prisma.policyDraft.upsert({
    where: { tenantId_author: { tenantId: d.tenantId, author: d.author } },
    create: d,
    update: { text: d.text, baseVersion: d.baseVersion },
  });
}

export async function deleteDraft(prisma: PrismaClient, tenantId: string, author: string): Promise<boolean> {
  const r = await prisma.policyDraft.deleteMany({ where: { tenantId, author } });
  return r.count > 0;
}
