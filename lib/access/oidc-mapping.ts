import { z } from "zod";
import { ROLES } from "@/lib/auth/rbac";
import { tenantIdSchema } from "./schemas";

/**
 * OIDC claim mapping (OIDC_MAPPING, a JSON array): at a person's first single sign-on, each rule
 * whose claim matches gives them a membership — tenant, roles, approver groups. Rules on `email`
 * or `email_domain` count only when the IdP says email_verified: true (anyone can type an address
 * into an unverified profile); `groups` rules trust the IdP's groups claim. Pure: no I/O.
 *
 *   [{"claim":"groups","equals":"secops","tenant":"demo-tenant","roles":["approver"],"groups":["secops"]},
 *    {"claim":"email_domain","equals":"example.com","tenant":"demo-tenant","roles":["viewer"]}]
 */
export const oidcRuleSchema = z.strictObject({
  claim: z.enum(["groups", "email", "email_domain"]),
  equals: z.string().min(1).max(320),
  tenant: tenantIdSchema,
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  groups: z.array(z.string().regex(/^[A-Za-z0-9][\w.-]{0,62}$/)).max(50).default([]),
});
export type OidcRule = z.infer<typeof oidcRuleSchema>;

export const oidcRulesSchema = z.array(oidcRuleSchema).max(200);

/** Parses OIDC_MAPPING; throws with the rule and field named. */
export function parseOidcMapping(text: string | undefined): OidcRule[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`OIDC_MAPPING is not JSON: ${(err as Error).message}`);
  }
  const r = oidcRulesSchema.safeParse(raw);
  if (!r.success) throw new Error(`OIDC_MAPPING: ${r.error.issues.map((i) => `rule ${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

export interface OidcClaims {
  sub: string;
  email?: string | null;
  email_verified?: boolean | string | null;
  name?: string | null;
  groups?: unknown;
}

/** Only a literal true (or "true", as some IdPs send it) is verified. */
export const emailVerified = (c: OidcClaims) => c.email_verified === true || c.email_verified === "true";

/** The memberships the rules grant: per tenant, the union of matching rules' roles and groups. */
export function mapClaims(rules: readonly OidcRule[], claims: OidcClaims): Map<string, { roles: string[]; groups: string[] }> {
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === "string") : typeof claims.groups === "string" ? [claims.groups] : [];
  const email = emailVerified(claims) && typeof claims.email === "string" ? claims.email.toLowerCase() : null;
  const out = new Map<string, { roles: string[]; groups: string[] }>();
  for (const rule of rules) {
    const hit =
      rule.claim === "groups" ? groups.includes(rule.equals)
      : rule.claim === "email" ? email !== null && email === rule.equals.toLowerCase()
      : email !== null && email.endsWith(`@${rule.equals.toLowerCase()}`);
    if (!hit) continue;
    const m = out.get(rule.tenant) ?? { roles: [], groups: [] };
    m.roles = [...new Set([...m.roles, ...rule.roles])];
    m.groups = [...new Set([...m.groups, ...rule.groups])];
    out.set(rule.tenant, m);
  }
  return out;
}
