import type { Services } from "@/lib/server/types";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";
import type { Principal } from "@/lib/auth/principal";
import { getUser, setPasswordHash, setUserName } from "@/lib/db/users";
import { AppError, notFound } from "@/lib/errors";
import type { AccountPutBody, AccountView } from "./account-schemas";

/**
 * A person's own account: name and password are theirs alone. Only a console session may change
 * them — a bearer token names a subject but is not that person (an agent token for "alice" must
 * not reset alice's password) — and a new password needs the current one.
 */
function requireSession(principal: Principal) {
  if (principal.kind !== "session") {
    throw new AppError(403, "session_required", "your own account is changed from a signed-in console session, not with an API token");
  }
}

export async function getAccount(svc: Services, principal: Principal): Promise<AccountView> {
  requireSession(principal);
  const { prisma } = await svc.db();
  const user = await getUser(prisma, principal.subject);
  if (!user) throw notFound(`user ${principal.subject} does not exist`);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    has_password: Boolean(user.passwordHash),
    sso_linked: Boolean(user.oidcSubject),
    tenants: user.memberships.map((m) => ({ tenant: m.tenantId, roles: m.roles, groups: m.groups })),
  };
}

export async function updateAccount(svc: Services, principal: Principal, body: AccountPutBody): Promise<AccountView> {
  requireSession(principal);
  const { prisma } = await svc.db();
  const user = await getUser(prisma, principal.subject);
  if (!user) throw notFound(`user ${principal.subject} does not exist`);
  const changed: string[] = [];
  if (body.new_password !== undefined) {
    if (user.passwordHash && !(await verifyPassword(body.current_password ?? "", user.passwordHash))) {
      throw new AppError(403, "wrong_password", "current_password is not right: type your current password to set a new one");
    }
    await setPasswordHash(prisma, user.id, await hashPassword(body.new_password));
    changed.push("password");
  }
  if (body.name !== undefined) {
    await setUserName(prisma, user.id, body.name);
    changed.push("name");
  }
  await Promise.all(
    user.memberships.map((m) =>
      svc.audit.append({ tenant: m.tenantId, kind: "admin_action", subject: user.id, decision: "allow", reason: `${user.id} changed their own ${changed.join(" and ")}`, data: { action: "account_update", changed } }),
    ),
  );
  return getAccount(svc, principal);
}
