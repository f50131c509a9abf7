import type { PrismaClient } from "./generated/client";

export async function upsertTenant(prisma: PrismaClient, id: string, name: string) {
  return prisma.tenant.upsert({ where: { id }, create: { id, name }, update: {} });
}

export async function listTenants(prisma: PrismaClient) {
  return prisma.tenant.findMany({ orderBy: { id: "asc" } });
}

export async function tenantExists(prisma: PrismaClient, id: string) {
  return (await prisma.tenant.count({ where: { id } })) > 0;
}
