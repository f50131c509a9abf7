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

/** Suspends or resumes a tenant (never deletes: its audit chain is immutable). Null when absent. */
export async function setTenantSuspended(prisma: PrismaClient, id: string, suspended: boolean, by: string, at: Date) {
  const r = await prisma.tenant.updateMany({ where: { id }, data: suspended ? { suspendedAt: at, suspendedBy: by } : { suspendedAt: null, suspendedBy: null } });
  return r.count === 1 ? prisma.tenant.findUnique({ where: { id } }) : null;
}

/** A tenant that exists and is not suspended: the only kind whose credentials act. */
export async function tenantActive(prisma: PrismaClient, id: string) {
  return (await prisma.tenant.count({ where: { id, suspendedAt: null } })) > 0;
}
