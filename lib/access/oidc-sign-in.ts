import type { Services } from "@/lib/server/types";
import { addMissingMemberships, closeInvitationsOf, createOidcUser, findUserByEmail, findUserByOidcSubject, getUser, linkOidcSubject } from "@/lib/db/users";
import { emailVerified, mapClaims, type OidcClaims, type OidcRule } from "./oidc-mapping";

export type OidcSignIn = { ok: true; userId: string; created: boolean } | { ok: false; reason: string };

/**
 * Who a single sign-on is: the user already linked to the IdP subject; else the user whose email
 * the IdP verified (an invited person, or an existing account), linked now; else, when the mapping
 * rules grant at least one membership, a new user. An email the IdP does not mark verified never
 * matches an account. Memberships from the rules are added at the first sign-in only and never
 * change roles an admin set.
 */
export async function resolveOidcSignIn(svc: Pick<Services, "db" | "audit">, claims: OidcClaims, rules: readonly OidcRule[], now: Date = new Date()): Promise<OidcSignIn> {
  const { prisma } = await svc.db();
  const linked = await findUserByOidcSubject(prisma, claims.sub);
  if (linked) return linked.disabled ? { ok: false, reason: "account disabled" } : { ok: true, userId: linked.id, created: false };

  const verified = emailVerified(claims) && typeof claims.email === "string" && claims.email.length > 0;
  const email = verified ? claims.email!.toLowerCase() : null;
  const mapped = [...mapClaims(rules, claims)].map(([tenantId, m]) => ({ tenantId, ...m }));
  const audit = (tenant: string, reason: string, data: Record<string, unknown>) =>
    svc.audit.append({ tenant, kind: "rbac_change", subject: "oidc", decision: "allow", reason, data: { action: "oidc_first_sign_in", ...data } });

  const byEmail = email ? await findUserByEmail(prisma, email) : null;
  if (byEmail) {
    if (byEmail.disabled) return { ok: false, reason: "account disabled" };
    if (byEmail.oidcSubject && byEmail.oidcSubject !== claims.sub) return { ok: false, reason: "that email is linked to another single sign-on identity" };
    await linkOidcSubject(prisma, byEmail.id, claims.sub);
    await closeInvitationsOf(prisma, byEmail.id, now);
    const added = await addMissingMemberships(prisma, byEmail.id, mapped);
    await Promise.all(added.map((m) => audit(m.tenantId, `${byEmail.id} given ${m.roles.join(", ")} by OIDC mapping at first sign-in`, { user: byEmail.id, roles: m.roles, groups: m.groups })));
    return { ok: true, userId: byEmail.id, created: false };
  }
  if (mapped.length === 0) return { ok: false, reason: "no account for this identity and no OIDC_MAPPING rule grants one (an admin can invite the verified email)" };

  const id = email && !(await getUser(prisma, email)) ? email : `oidc-${claims.sub}`.slice(0, 200);
  const name = typeof claims.name === "string" ? claims.name.slice(0, 200) : null;
  const r = await createOidcUser(prisma, { id, email, name, oidcSubject: claims.sub }, mapped);
  if (r.memberships.length === 0) return { ok: false, reason: "the OIDC_MAPPING rules name tenants that do not exist" };
  await Promise.all(r.memberships.map((m) => audit(m.tenantId, `${id} created by OIDC mapping at first sign-in with ${m.roles.join(", ")}`, { user: id, roles: m.roles, groups: m.groups })));
  return { ok: true, userId: id, created: true };
}
