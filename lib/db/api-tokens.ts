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

/** Records a token on use when it is not yet (tokens minted before recording at mint), and when it was last used. */
export async function recordTokenUse(prisma: PrismaClient, t: TokenRecord, at: Date) {
  return prisma.apiToken.upsert({ where: { id: t.id }, create: { ...t, lastUsedAt: at }, update: { lastUsedAt: at } });
}

export async function isTokenRevoked(prisma: PrismaClient, jti: string): Promise<boolean> {
  const row = await prisma.apiToken.findUnique({ where: { id: jti }, select: { revokedAt: true } });
  return Boolean(row?.revokedAt);
}

/** Marks a token of the tenant revoked (once); the number of rows changed (0 when absent or already revoked). */
export async function revokeToken(prisma: PrismaClient, tenantId: string, jti: string, at: Date, by?: string) {
  const r = await prisma.apiToken.updateMany({ where: { id: jti, tenantId, revokedAt: null }, data: { revokedAt: at, revokedBy: by ?? null } });
  return r.count;
}

const listSelect = {
  id: true,
  tenantId: true,
  subject: true,
  roles: true,
  name: true,
  createdBy: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
  revokedBy: true,
  lastUsedAt: true,
} as const;

/** One token of one tenant (never the hash), or null: another tenant's id is simply not there. */
export async function getTenantToken(prisma: PrismaClient, tenantId: string, id: string) {
  return prisma.apiToken.findFirst({ where: { id, tenantId }, select: listSelect });
}

/** The token row by id alone, for operators (the CLI), with its tenant. */
export async function getTokenById(prisma: PrismaClient, id: string) {
  return prisma.apiToken.findUnique({ where: { id }, select: listSelect });
}

/** The tenant's tokens, newest first, keyset-paginated by (created_at, id). */
export async function listTenantTokens(prisma: PrismaClient, tenantId: string, opts: { limit: number; after?: { createdAt: Date; id: string } }) {
  const a = opts.after;
  return prisma.apiToken.findMany({
    where: {
      tenantId,
      ...(a ? { OR: [{ createdAt: { lt: a.createdAt } }, { createdAt: a.createdAt, id: { lt: a.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: opts.limit,
    select: listSelect,
  });
}
