import { describe, expect, test } from "vitest";
import { can, PERMISSIONS, permissionsOf, ROLE_PERMISSIONS, ROLES } from "./rbac";

describe("RBAC table", () => {
  test.each([
    ["admin", "rbac.manage", true],
    ["admin", "mcp.call", true],
    ["policy_author", "policies.apply", true],
    ["policy_author", "approvals.decide", false],
    ["policy_author", "rbac.manage", false],
    ["approver", "approvals.decide", true],
    ["approver", "policies.apply", false],
    ["viewer", "audit.read", true],
    ["viewer", "approvals.decide", false],
    ["viewer", "mcp.call", false],
    ["agent", "mcp.call", true],
    ["agent", "approvals.decide", false],
    ["agent", "audit.read", false],
    ["superuser", "audit.read", false],
  ] as const)("%s → %s: %s", (role, permission, expected) => {
    expect(can([role], permission)).toBe(expected);
  });

  test("roles combine", () => {
    expect(can(["viewer", "agent"], "mcp.call")).toBe(true);
    expect(permissionsOf(["viewer", "approver"]).has("approvals.decide")).toBe(true);
  });

  test("no roles, no permissions", () => {
    expect(permissionsOf([]).size).toBe(0);
  });

  test("admin holds every permission but policies.sign (policy_signer only), and every role's permissions are known", () => {
    expect([...permissionsOf(["admin"])].sort()).toEqual(PERMISSIONS.filter((p) => p !== "policies.sign").sort());
    expect(ROLES.filter((r) => ROLE_PERMISSIONS[r].includes("policies.sign"))).toEqual(["policy_signer"]);
    for (const role of ROLES) for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p);
  });
});
