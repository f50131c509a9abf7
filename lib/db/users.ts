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

/** The member of `tenantId` linked to a Slack user (with the user's disabled flag), if any. */
export async function findMemberBySlackId(prisma: PrismaClient, tenantId: string, slackUserId: string) {
  return prisma.membership.findUnique({
    where: { tenantId_slackUserId: { tenantId, slackUserId } },
    select: { userId: true, slackTeamId: true, user: { select: { disabled: true } } },
  });
}

export interface MembershipUpdate {
  tenantId: string;
  userId: string;
  roles: string[];
  /** Left as they are when undefined (seed 000's body carries only roles). */
  groups?: string[];
  /** The membership's Slack link (left as is when undefined). */
  slackUserId?: string | null;
  slackTeamId?: string | null;
  /** Global identity: the caller checks who may change it. */
  email?: string | null;
  name?: string | null;
}

/** Creates the user (without a password) when absent, then sets their roles, groups and Slack link in the tenant. */
export async function upsertUserMembership(prisma: PrismaClient, u: MembershipUpdate) {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { id: u.userId } });
    const profile = {
      ...(u.email !== undefined ? { email: u.email } : {}),
      ...(u.name !== undefined ? { name: u.name } : {}),
    };
    const user = existing
      ? Object.keys(profile).length > 0
        ? await tx.user.update({ where: { id: u.userId }, data: profile })
        : existing
      : await tx.user.create({ data: { id: u.userId, ...profile } });
    const before = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId: u.tenantId, userId: u.userId } } });
    const slack = {
      ...(u.slackUserId !== undefined ? { slackUserId: u.slackUserId } : {}),
      ...(u.slackTeamId !== undefined ? { slackTeamId: u.slackTeamId } : {}),
    };
    const membership = await tx.membership.upsert({
      where: { tenantId_userId: { tenantId: u.tenantId, userId: u.userId } },
      create: { tenantId: u.tenantId, userId: u.userId, roles: u.roles, groups: u.groups ?? [], ...slack },
      update: { roles: u.roles, ...(u.groups !== undefined ? { groups: u.groups } : {}), ...slack },
    });
    return { user, membership, before, created: !existing };
  });
}

export async function getUserWithMembership(prisma: PrismaClient, tenantId: string, userId: string) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) return null;
  const membership = await getMembership(prisma, tenantId, userId);
  return { user, membership };
}

/** Approvers of a tenant (in `group` when given) linked to a Slack user: whom a new approval's personal codes go to. */
export async function listSlackApprovers(prisma: PrismaClient, tenantId: string, group: string | null, limit: number) {
  return prisma.membership.findMany({
    where: { tenantId, slackUserId: { not: null }, roles: { has: "approver" }, ...(group ? { groups: { has: group } } : {}), user: { disabled: false } },
    select: { userId: true, slackUserId: true },
    orderBy: { userId: "asc" },
    take: limit,
  });
}
