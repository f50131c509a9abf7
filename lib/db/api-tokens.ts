import type { PrismaClient } from "./generated/client";

export interface TokenRecord {
  id: string;
  tenantId: string;
  subject: string;
  roles: string[];
  tokenHash: string;
  expiresAt: Date;
  name?: string;
  createdBy?: string;
}

export async function recordToken(prisma: PrismaClient, t: TokenRecord) {
  return prisma.apiToken.create({ data: t });
}

/** Records a token the first time it is used (tokens minted by the CLI are not recorded at mint time). */
export async function recordTokenIfAbsent(prisma: PrismaClient, t: TokenRecord) {
  return prisma.apiToken.upsert({ where: { id: t.id }, create: t, update: { lastUsedAt: new Date() } });
}

export async function isTokenRevoked(prisma: PrismaClient, jti: string): Promise<boolean> {
  const row = await prisma.apiToken.findUnique({ where: { id: jti }, select: { revokedAt: true } });
  return Boolean(row?.revokedAt);
}

export async function revokeToken(prisma: PrismaClient, tenantId: string, jti: string, at: Date) {
  return prisma.apiToken.updateMany({ where: { id: jti, tenantId, revokedAt: null }, data: { revokedAt: at } });
}
