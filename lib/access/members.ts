import type { Services } from "@/lib/server/types";
import { isPlatformAdmin } from "@/lib/auth/platform";
import type { Principal } from "@/lib/auth/principal";
import { deleteMembershipGuarded, getUserWithMembership, LastAdminError, listOpenInvitations, listTenantMembers, setMembershipGuarded } from "@/lib/db/users";
import { AppError, conflict, notFound } from "@/lib/errors";
import type { InvitationView, MemberList, MemberListItem, MemberPutBody, MemberView } from "./schemas";

/**
 * Memberships (seed 000 §6C): a tenant admin sets a user's roles, approver groups and Slack link
 * in their own tenant — this is how someone becomes an approver in a group. The user is created
 * (without a password) when missing. A tenant admin never changes or sees global identity (email,
 * name): those belong to the user, and to platform admins.
 */

/** Whether `principal` may see and change the global identity of `user`. */
function ownsIdentity(principal: Principal, user: string): boolean {
  return principal.subject === user || isPlatformAdmin(principal);
}

function lastAdmin(tenant: string, user: string, what: "demoted" | "removed") {
  return new AppError(409, "last_admin", `${user} is the last admin of ${tenant} and cannot be ${what}: make another member an admin first`, { tenant, user });
}

function view(
  tenant: string,
  user: { id: string; email: string | null; name: string | null },
  m: { roles: string[]; groups: string[]; slackUserId: string | null; slackTeamId: string | null },
  showIdentity: boolean,
  created?: boolean,
): MemberView {
  return {
    tenant,
    user: user.id,
    roles: m.roles,
    groups: m.groups,
    slack_user_id: m.slackUserId,
    slack_team_id: m.slackTeamId,
    ...(showIdentity ? { email: user.email, name: user.name } : {}),
    ...(created === undefined ? {} : { created }),
  };
}


export async function putMember(svc: Services, principal: Principal, tenant: string, user: string, body: MemberPutBody): Promise<MemberView> {
  const identity = body.email !== undefined || body.name !== undefined;
  if (identity && !ownsIdentity(principal, user)) {
    throw new AppError(
      403,
      "identity_readonly",
      `email and name are ${user}'s own identity across every tenant: only ${user} or a platform admin can change them; leave them out to set roles, groups and the Slack link in ${tenant}`,
    );
  }
  const { prisma } = await svc.db();
  let r: Awaited<ReturnType<typeof setMembershipGuarded>>;
  try {
    r = await setMembershipGuarded(prisma, {
      tenantId: tenant,
      userId: user,
      roles: [...new Set(body.roles)],
      groups: body.groups === undefined ? undefined : [...new Set(body.groups)],
      slackUserId: body.slack_user_id,
      slackTeamId: body.slack_team_id,
      email: body.email,
      name: body.name,
    });
  } catch (err) {
    if (err instanceof LastAdminError) throw lastAdmin(tenant, user, "demoted");
    const code = (err as { code?: string }).code;
    if (code === "P2002") {
      throw conflict(identity ? "that email already belongs to another user" : `that Slack user is already linked to another member of ${tenant}`);
    }
    if (code === "P2003") throw notFound(`tenant ${tenant} does not exist`);
    throw err;
  }
  const result = view(tenant, r.user, r.membership, ownsIdentity(principal, user), r.created);
  await svc.accessEvents.emit(
    {
      kind: "rbac_change",
      tenant,
      actor: principal.subject,
      user: r.user.id,
      before: r.before ? { roles: r.before.roles, groups: r.before.groups } : null,
      after: { roles: result.roles, groups: result.groups, slack_user_id: result.slack_user_id },
    },
    (err) => svc.log.error({ err }, "rbac_change listener failed"),
  );
  return result;
}


export async function getMember(svc: Services, principal: Principal, tenant: string, user: string): Promise<MemberView> {
  const { prisma } = await svc.db();
  const found = await getUserWithMembership(prisma, tenant, user);
  if (!found?.membership) throw notFound(`user ${user} is not a member of tenant ${tenant}`);
  return view(tenant, found.user, found.membership, ownsIdentity(principal, user));
}

export function invitationView(i: { id: string; tenantId: string; userId: string; email: string; createdBy: string; createdAt: Date; expiresAt: Date }): InvitationView {
  return { id: i.id, tenant: i.tenantId, user: i.userId, email: i.email, created_by: i.createdBy, created_at: i.createdAt.toISOString(), expires_at: i.expiresAt.toISOString() };
}

/** The tenant's members (login state, never secrets) and its open invitations. */
export async function listMembers(svc: Services, principal: Principal, tenant: string, limit: number, now: Date = new Date()): Promise<MemberList> {
  const { prisma } = await svc.db();
  const rows = await listTenantMembers(prisma, tenant, limit + 1);
  const open = await listOpenInvitations(prisma, tenant, now, 200);
  const invited = new Set(open.map((i) => i.userId));
  const members: MemberListItem[] = rows.slice(0, limit).map(({ user, membership }) => ({
    ...view(tenant, user, membership, ownsIdentity(principal, user.id)),
    login: user.hasPassword && user.hasOidc ? "password+oidc" : user.hasPassword ? "password" : user.hasOidc ? "oidc" : invited.has(user.id) ? "invited" : "none",
    created_at: membership.createdAt.toISOString(),
  }));
  return { members, invitations: open.map(invitationView), truncated: rows.length > limit };
}

/** Removes a member from the tenant (the user and their other memberships stay); the last admin stays. */
export async function removeMember(svc: Services, principal: Principal, tenant: string, user: string) {
  const { prisma } = await svc.db();
  let before: Awaited<ReturnType<typeof deleteMembershipGuarded>>;
  try {
    before = await deleteMembershipGuarded(prisma, tenant, user);
  } catch (err) {
    if (err instanceof LastAdminError) throw lastAdmin(tenant, user, "removed");
    throw err;
  }
  if (!before) throw notFound(`user ${user} is not a member of tenant ${tenant}`);
  await svc.audit.append({
    tenant,
    kind: "rbac_change",
    subject: principal.subject,
    decision: "allow",
    reason: `${user} removed from ${tenant}`,
    data: { user, before: { roles: before.roles, groups: before.groups }, after: null },
  });
  return { tenant, user, removed: true as const };
}
