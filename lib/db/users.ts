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

/** The memberships linked to a Slack user, one per tenant at most (the App Home looks at each, in its own tenant). */
export async function listMembershipsBySlackId(prisma: PrismaClient, slackUserId: string, limit: number) {
  const rows = await prisma.membership.findMany({
    where: { slackUserId },
    select: { tenantId: true, userId: true, slackTeamId: true, user: { select: { disabled: true } } },
    orderBy: { tenantId: "asc" },
    take: limit,
  });
  return rows.map((r) => ({ tenantId: r.tenantId, userId: r.userId, slackTeamId: r.slackTeamId, disabled: r.user.disabled }));
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
  return prisma.$transaction((tx) => upsertIn(tx, u));
}

async function upsertIn(tx: Tx, u: MembershipUpdate) {
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
}

export async function getUserWithMembership(prisma: PrismaClient, tenantId: string, userId: string) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) return null;
  const membership = await getMembership(prisma, tenantId, userId);
  return { user, membership };
}

/** Raised inside a membership transaction when a change would leave the tenant without an admin. */
export class LastAdminError extends Error {
  constructor(readonly tenantId: string, readonly userId: string) {
    super(`${userId} is the last admin of tenant ${tenantId}`);
    this.name = "LastAdminError";
  }
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * Fails with LastAdminError when `userId` is an admin of the tenant and no other member is. The
 * tenant row is locked first, so two admins demoting each other at once cannot both succeed.
 */
async function guardLastAdmin(tx: Tx, tenantId: string, userId: string) {
  await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${tenantId} FOR UPDATE`;
  const current = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId, userId } }, select: { roles: true } });
  if (!current?.roles.includes("admin")) return;
  const others = await tx.membership.count({ where: { tenantId, roles: { has: "admin" }, NOT: { userId } } });
  if (others === 0) throw new LastAdminError(tenantId, userId);
}

/** Like upsertUserMembership, but refuses (LastAdminError) to take admin from the tenant's last admin. */
export async function setMembershipGuarded(prisma: PrismaClient, u: MembershipUpdate) {
  return prisma.$transaction(async (tx) => {
    if (!u.roles.includes("admin")) await guardLastAdmin(tx, u.tenantId, u.userId);
    return upsertIn(tx, u);
  });
}

/** Removes a membership (never the user); refuses (LastAdminError) to remove the last admin. Null when absent. */
export async function deleteMembershipGuarded(prisma: PrismaClient, tenantId: string, userId: string) {
  return prisma.$transaction(async (tx) => {
    await guardLastAdmin(tx, tenantId, userId);
    const before = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId, userId } } });
    if (!before) return null;
    await tx.membership.delete({ where: { tenantId_userId: { tenantId, userId } } });
    return before;
  });
}

/** The members of a tenant with the login state of each user (never the password hash itself). */
export async function listTenantMembers(prisma: PrismaClient, tenantId: string, limit: number) {
  const rows = await prisma.membership.findMany({
    where: { tenantId },
    orderBy: { userId: "asc" },
    take: limit,
    include: { user: { select: { id: true, email: true, name: true, passwordHash: true, oidcSubject: true, disabled: true } } },
  });
  return rows.map(({ user, ...m }) => ({
    membership: m,
    user: { id: user.id, email: user.email, name: user.name, hasPassword: Boolean(user.passwordHash), hasOidc: Boolean(user.oidcSubject), disabled: user.disabled },
  }));
}

export async function getUser(prisma: PrismaClient, userId: string) {
  return prisma.user.findUnique({ where: { id: userId }, include: { memberships: { orderBy: { tenantId: "asc" } } } });
}

export async function createUser(prisma: PrismaClient, data: { id: string; email: string }) {
  return prisma.user.create({ data });
}

/** Sets the email of a user that has no way to sign in yet (a seed 000 placeholder), when it has none. */
export async function claimUserEmail(prisma: PrismaClient, userId: string, email: string) {
  const r = await prisma.user.updateMany({ where: { id: userId, email: null, passwordHash: null, oidcSubject: null }, data: { email } });
  return r.count === 1;
}

export async function setUserName(prisma: PrismaClient, userId: string, name: string | null) {
  return prisma.user.update({ where: { id: userId }, data: { name } });
}

// ---- invitations ----

export async function createInvitation(
  prisma: PrismaClient,
  i: { id: string; tenantId: string; userId: string; email: string; tokenHash: string; createdBy: string; createdAt: Date; expiresAt: Date },
) {
  return prisma.invitation.create({ data: i });
}

export async function findInvitationByHash(prisma: PrismaClient, tokenHash: string) {
  return prisma.invitation.findUnique({ where: { tokenHash } });
}

export async function listOpenInvitations(prisma: PrismaClient, tenantId: string, now: Date, limit: number) {
  return prisma.invitation.findMany({ where: { tenantId, usedAt: null, expiresAt: { gt: now } }, orderBy: { createdAt: "desc" }, take: limit });
}

/**
 * Uses an invitation once: marks it used (only if unused and unexpired at `now`) and sets the
 * invited user's password in the same transaction. False when it was used or expired meanwhile.
 */
export async function consumeInvitation(prisma: PrismaClient, id: string, now: Date, passwordHash: string, name?: string) {
  return prisma.$transaction(async (tx) => {
    const r = await tx.invitation.updateMany({ where: { id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (r.count !== 1) return false;
    const inv = await tx.invitation.findUniqueOrThrow({ where: { id } });
    await tx.user.update({ where: { id: inv.userId }, data: { passwordHash, ...(name ? { name } : {}) } });
    // Other open links for the same person stop working: the password is set now.
    await tx.invitation.updateMany({ where: { userId: inv.userId, usedAt: null }, data: { usedAt: now } });
    return true;
  });
}

export async function findUserByOidcSubject(prisma: PrismaClient, oidcSubject: string) {
  return prisma.user.findUnique({ where: { oidcSubject } });
}

/**
 * A person's first single sign-on: creates the user linked to their IdP subject with the
 * memberships the mapping rules gave (tenants that do not exist are skipped). One transaction.
 */
export async function createOidcUser(
  prisma: PrismaClient,
  u: { id: string; email: string | null; name: string | null; oidcSubject: string },
  memberships: { tenantId: string; roles: string[]; groups: string[] }[],
) {
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.create({ data: u });
    const existing = new Set((await tx.tenant.findMany({ where: { id: { in: memberships.map((m) => m.tenantId) } }, select: { id: true } })).map((t) => t.id));
    const made = memberships.filter((m) => existing.has(m.tenantId));
    for (const m of made) await tx.membership.create({ data: { userId: user.id, ...m } });
    return { user, memberships: made };
  });
}

/** Adds memberships the user lacks (never changes one an admin set); returns those added. */
export async function addMissingMemberships(prisma: PrismaClient, userId: string, memberships: { tenantId: string; roles: string[]; groups: string[] }[]) {
  const added: typeof memberships = [];
  for (const m of memberships) {
    if (!(await prisma.tenant.findUnique({ where: { id: m.tenantId }, select: { id: true } }))) continue;
    const r = await prisma.membership.createMany({ data: [{ userId, ...m }], skipDuplicates: true });
    if (r.count === 1) added.push(m);
  }
  return added;
}

/** An invited person signed in with SSO: their open invitations are spent. */
export async function closeInvitationsOf(prisma: PrismaClient, userId: string, at: Date) {
  await prisma.invitation.updateMany({ where: { userId, usedAt: null }, data: { usedAt: at } });
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
