import type { PrismaClient } from "@/lib/db";
import { getUserWithMembership, upsertUserMembership } from "@/lib/db/users";
import { conflict, notFound } from "@/lib/errors";
import { emitApprovalEvent } from "./events";
import type { RbacPutBody, RbacUserView } from "./schemas";

/**
 * Seed 000 §6C: a tenant admin sets a user's roles (and approver groups, and Slack link) in the
 * tenant. This is how someone becomes an approver in a group. The user is created when missing.
 */
export async function putTenantUser(prisma: PrismaClient, input: { tenant: string; user: string; actor: string; body: RbacPutBody }): Promise<RbacUserView> {
  let r: Awaited<ReturnType<typeof upsertUserMembership>>;
  try {
    r = await upsertUserMembership(prisma, {
      tenantId: input.tenant,
      userId: input.user,
      roles: [...new Set(input.body.roles)],
      groups: input.body.groups === undefined ? undefined : [...new Set(input.body.groups)],
      slackUserId: input.body.slack_user_id,
      email: input.body.email,
      name: input.body.name,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "P2002") throw conflict("that slack_user_id or email already belongs to another user");
    if (code === "P2003") throw notFound(`tenant ${input.tenant} does not exist`);
    throw err;
  }
  const view: RbacUserView = {
    tenant: input.tenant,
    user: r.user.id,
    roles: r.membership.roles,
    groups: r.membership.groups,
    slack_user_id: r.user.slackUserId,
    email: r.user.email,
    name: r.user.name,
    created: r.created,
  };
  await emitApprovalEvent(
    {
      kind: "rbac_change",
      tenant: input.tenant,
      actor: input.actor,
      user: r.user.id,
      before: r.before ? { roles: r.before.roles, groups: r.before.groups } : null,
      after: { roles: view.roles, groups: view.groups, slack_user_id: view.slack_user_id },
    },
    (err) => console.error("rbac_change listener failed", err),
  );
  return view;
}

export async function getTenantUser(prisma: PrismaClient, tenant: string, user: string): Promise<RbacUserView> {
  const found = await getUserWithMembership(prisma, tenant, user);
  if (!found?.membership) throw notFound(`user ${user} is not a member of tenant ${tenant}`);
  return {
    tenant,
    user: found.user.id,
    roles: found.membership.roles,
    groups: found.membership.groups,
    slack_user_id: found.user.slackUserId,
    email: found.user.email,
    name: found.user.name,
  };
}
