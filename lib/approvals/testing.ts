import { randomBytes } from "node:crypto";
import type { PrismaClient } from "@/lib/db";
import { upsertTenant } from "@/lib/db/tenants";
import { upsertUserMembership } from "@/lib/db/users";

/** Test and benchmark fixtures: a tenant with approvers in "secops", one outside it, and a viewer. */
export const FIXTURE_TENANT = "demo-tenant";
export const FIXTURE_SECRET = "test-hmac-secret-0123456789";

export const FIXTURE_USERS: { id: string; roles: string[]; groups: string[]; slack?: string }[] = [
  { id: "alice", roles: ["approver"], groups: ["secops"], slack: "UALICE01" },
  { id: "bob", roles: ["approver", "viewer"], groups: ["secops"], slack: "UBOB0001" },
  { id: "carol", roles: ["approver"], groups: ["secops"], slack: "UCAROL01" },
  { id: "dave", roles: ["approver", "admin"], groups: ["secops"] },
  { id: "erin", roles: ["approver"], groups: ["finance"], slack: "UERIN001" },
  { id: "victor", roles: ["viewer"], groups: ["secops"], slack: "UVICTOR1" },
];

export async function seedApprovalFixtures(prisma: PrismaClient, tenant = FIXTURE_TENANT) {
  await upsertTenant(prisma, tenant, tenant);
  await upsertTenant(prisma, "other-tenant", "Other");
  for (const u of FIXTURE_USERS) {
    await upsertUserMembership(prisma, { tenantId: tenant, userId: u.id, roles: u.roles, groups: u.groups, slackUserId: u.slack ?? null });
  }
  for (let i = 0; i < 20; i++) {
    await upsertUserMembership(prisma, { tenantId: tenant, userId: `approver-${i}`, roles: ["approver"], groups: ["secops"] });
  }
}

export function uniqueNamespace() {
  return `test:approvals:${randomBytes(6).toString("hex")}`;
}
