import type { Services } from "@/lib/server/types";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Principal } from "@/lib/auth/principal";
import { hashPassword } from "@/lib/auth/passwords";
import { claimUserEmail, consumeInvitation, createInvitation, createUser, findInvitationByHash, findUserByEmail, getUser } from "@/lib/db/users";
import { publicUrl } from "@/lib/env";
import { AppError, conflict } from "@/lib/errors";
import { invitationView, putMember } from "./members";
import type { AcceptInvitationBody, InviteBody, InviteResult } from "./schemas";

/**
 * Invitations: a tenant admin adds a member by email; the person gets a one-time link that sets
 * their password (or they sign in with OIDC, matched by verified email). With no mail server
 * configured, the link is returned to the inviting admin this once. The secret travels in the
 * link's fragment (#), which browsers never send to a server, so it appears in no access log;
 * only its SHA-256 is stored.
 */

const digest = (token: string) => createHash("sha256").update(token).digest("hex");

export async function inviteMember(svc: Services, principal: Principal, tenant: string, body: InviteBody, now: Date = new Date()): Promise<InviteResult> {
  const { prisma } = await svc.db();
  const byEmail = await findUserByEmail(prisma, body.email);
  let userId: string;
  if (body.user) {
    const target = await getUser(prisma, body.user);
    if (byEmail && byEmail.id !== body.user) throw conflict(`${body.email} already belongs to another user; invite that email without "user"`);
    if (target && !byEmail) {
      // Only a placeholder (no login at all) that lives in this tenant alone may be given an email here:
      // anything else is someone's global identity.
      const foreign = target.memberships.some((m) => m.tenantId !== tenant);
      if (foreign || !(await claimUserEmail(prisma, target.id, body.email))) {
        throw new AppError(403, "identity_readonly", `${body.user} already has an identity (a login, an email or another tenant): invite by email alone, or ask a platform admin`);
      }
    } else if (!target) {
      await createUser(prisma, { id: body.user, email: body.email });
    }
    userId = body.user;
  } else if (byEmail) {
    userId = byEmail.id;
  } else {
    userId = body.email;
    if (await getUser(prisma, userId)) throw conflict(`a user with id ${userId} exists without that email; invite with "user": "${userId}"`);
    await createUser(prisma, { id: userId, email: body.email });
  }
  const member = await putMember(svc, principal, tenant, userId, { roles: body.roles, ...(body.groups ? { groups: body.groups } : {}) });
  const user = (await getUser(prisma, userId))!;
  if (user.passwordHash || user.oidcSubject) {
    return { member, invitation: null, message: `${body.email} already has a login: they can sign in now and will find ${tenant} in their tenants` };
  }
  const token = randomBytes(32).toString("base64url");
  const inv = await createInvitation(prisma, {
    id: `inv_${randomUUID()}`,
    tenantId: tenant,
    userId,
    email: body.email,
    tokenHash: digest(token),
    createdBy: principal.subject,
    createdAt: now,
    expiresAt: new Date(now.getTime() + svc.env.CANOPY_INVITATION_TTL_SECONDS * 1000),
  });
  await svc.audit.append({
    tenant,
    kind: "rbac_change",
    subject: principal.subject,
    decision: "allow",
    reason: `${body.email} invited to ${tenant} as ${body.roles.join(", ")}`,
    data: { action: "invite", invitation: inv.id, user: userId, email: body.email, roles: body.roles, expires_at: inv.expiresAt.toISOString() },
  });
  return {
    member,
    invitation: { ...invitationView(inv), link: `${publicUrl()}/invite#token=${token}` },
    message: `No mail server is configured: send this link to ${body.email} yourself. It works once, until ${inv.expiresAt.toISOString()}.`,
  };
}

const gone = () => new AppError(410, "invitation_unusable", "this invitation link was already used or has expired: ask your admin for a new one");

/** Sets the invited person's password; the link works once and only before it expires. */
export async function acceptInvitation(svc: Services, body: AcceptInvitationBody, now: Date = new Date()) {
  const { prisma } = await svc.db();
  const inv = await findInvitationByHash(prisma, digest(body.token));
  if (!inv) throw new AppError(404, "invitation_not_found", "this invitation link is not valid: check that the whole link was copied");
  if (inv.usedAt || inv.expiresAt.getTime() <= now.getTime()) throw gone();
  const ok = await consumeInvitation(prisma, inv.id, now, await hashPassword(body.password), body.name);
  if (!ok) throw gone();
  await svc.audit.append({
    tenant: inv.tenantId,
    kind: "login",
    subject: inv.userId,
    decision: "allow",
    reason: `invitation ${inv.id} accepted: password set for ${inv.email}`,
    data: { action: "invitation_accepted", invitation: inv.id, email: inv.email },
  });
  return { user: inv.userId, email: inv.email, tenant: inv.tenantId };
}
