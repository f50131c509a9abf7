/** Role-based access control: a typed table of permissions per role. Roles are per tenant. */
export const PERMISSIONS = [
  "tenants.read",
  "tenants.manage",
  "rbac.read",
  "rbac.manage",
  "tokens.manage",
  "quotas.read",
  "quotas.manage",
  "upstreams.manage",
  "policies.read",
  "policies.simulate",
  "policies.write",
  "policies.apply",
  "policies.sign",
  "approvals.read",
  "approvals.request",
  "approvals.decide",
  "audit.read",
  "audit.export",
  "audit.write",
  "mcp.call",
  "guard.check",
  "guard.enforce",
  "metrics.read",
  // The ops targets inventory (seed 002): reading it (roles, windows, last actions), managing it (create, edit, delete, test connection).
  "ops.targets.read",
  "ops.targets.manage",
  // Break-glass: activating and ending a bounded, audited emergency grant for ops policies.
  "ops.emergency.manage",
  // A signed-in person's own name and password (console sessions only; never a bearer token).
  "account.self",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["admin", "policy_author", "approver", "viewer", "agent", "policy_signer", "metrics_scraper"] as const;
export type Role = (typeof ROLES)[number];

const READ: Permission[] = ["tenants.read", "rbac.read", "quotas.read", "policies.read", "approvals.read", "audit.read", "metrics.read", "ops.targets.read", "account.self"];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  // Signing with the server-held key is a separate grant (policy_signer), not part of admin.
  admin: PERMISSIONS.filter((p) => p !== "policies.sign"),
  policy_author: [...READ, "policies.simulate", "policies.write", "policies.apply"],
  approver: [...READ, "approvals.decide", "policies.simulate"],
  viewer: READ,
  policy_signer: ["policies.read", "policies.sign", "account.self"],
  // Prometheus: metrics and nothing else (METRICS_SCRAPE_TOKEN, or a token minted with this role).
  metrics_scraper: ["metrics.read"],
  agent: ["mcp.call", "guard.check", "guard.enforce", "approvals.request", "audit.write", "policies.read", "policies.simulate", "account.self"],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Unknown role names grant nothing (fail closed). */
export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) if (isRole(role)) for (const p of ROLE_PERMISSIONS[role]) out.add(p);
  return out;
}

export function can(roles: readonly string[], permission: Permission): boolean {
  return roles.some((role) => isRole(role) && ROLE_PERMISSIONS[role].includes(permission));
}
