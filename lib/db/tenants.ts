import type { PrismaClient } from "./generated/client";

export async function upsertTenant(prisma: PrismaClient, id: string, name: string) {
  return prisma.tenant.upsert({ where: { id }, create: { id, name }, update: {} });
}

export async function createTenantRow(prisma: PrismaClient, id: string, name: string) {
  return prisma.tenant.create({ data: { id, name } });
}

export async function getTenant(prisma: PrismaClient, id: string) {
  return prisma.tenant.findUnique({ where: { id } });
}

export async function listTenants(prisma: PrismaClient) {
  return prisma.tenant.findMany({ orderBy: { id: "asc" } });
}

export async function tenantExists(prisma: PrismaClient, id: string) {
  return (await prisma.tenant.count({ where: { id } })) > 0;
}
