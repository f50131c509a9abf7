import type { PrismaClient } from "./generated/client";

/** Console login looks a user up by email or by id (the subject). */
export async function findUserByLogin(prisma: PrismaClient, login: string) {
  const value = login.trim();
  return prisma.user.findFirst({
    where: { OR: [{ email: { equals: value, mode: "insensitive" } }, { id: value }] },
    include: { memberships: { orderBy: { tenantId: "asc" } } },
  });
}

export async function findUserByEmail(prisma: PrismaClient, email: string) {
  return prisma.user.findFirst({ where: { email: { equals: email, mode: "insensitive" } } });
}

export async function linkOidcSubject(prisma: PrismaClient, userId: string, oidcSubject: string) {
  return prisma.user.update({ where: { id: userId }, data: { oidcSubject } });
}

export async function getMembership(prisma: PrismaClient, tenantId: string, userId: string) {
  return prisma.membership.findUnique({ where: { tenantId_userId: { tenantId, userId } } });
}

export async function listMembershipsOfUser(prisma: PrismaClient, userId: string) {
  return prisma.membership.findMany({ where: { userId }, orderBy: { tenantId: "asc" } });
}

export interface SeedUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
}

/** Creates the user if absent; never overwrites an existing user's password. */
export async function ensureUser(prisma: PrismaClient, user: SeedUser) {
  const existing = await prisma.user.findUnique({ where: { id: user.id } });
  if (existing) return { user: existing, created: false };
  return { user: await prisma.user.create({ data: user }), created: true };
}

export async function ensureMembership(prisma: PrismaClient, tenantId: string, userId: string, roles: string[], groups: string[] = []) {
  return prisma.membership.upsert({
    where: { tenantId_userId: { tenantId, userId } },
    create: { tenantId, userId, roles, groups },
    update: {},
  });
}

export async function setPasswordHash(prisma: PrismaClient, userId: string, passwordHash: string) {
  return prisma.user.update({ where: { id: userId }, data: { passwordHash } });
}
