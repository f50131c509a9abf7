import type { Services } from "@/lib/server/types";
import { isPlatformAdmin } from "@/lib/auth/platform";
import type { Principal } from "@/lib/auth/principal";
import { getUserWithMembership, upsertUserMembership } from "@/lib/db/users";
import { AppError, conflict, notFound } from "@/lib/errors";
import type { MemberPutBody, MemberView } from "./schemas";

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
  let r: Awaited<ReturnType<typeof upsertUserMembership>>;
  try {
    r = await upsertUserMembership(prisma, {
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
    const code = (err as { code?: string }).code;
    if (code === "P2002") {
      throw conflict(identity ? "that email already belongs to another user" : `that Slack user is already linked to another member of ${tenant}`);
    }
    if (code === "P2003") throw notFound(`tenant ${tenant} does not exist`);
    throw err;
  }
  const result = view(tenant, r.user, r.membership, ownsIdentity(principal, user), r.created);
  await svc.approvalEvents.emit(
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
