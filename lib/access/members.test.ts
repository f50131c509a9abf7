import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POST as inviteRoute } from "@/app/api/admin/rbac/[tenant]/invitations/route";
import { GET as listRoute } from "@/app/api/admin/rbac/[tenant]/users/route";
import { DELETE as removeRoute, PUT as putRoute } from "@/app/api/admin/rbac/[tenant]/users/[user]/route";
import { POST as acceptRoute } from "@/app/api/invitations/accept/route";
import { auditSearchQuerySchema } from "@/lib/audit";
import { mintToken, verifyPassword } from "@/lib/auth";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { ensureMembership, ensureUser } from "@/lib/db/users";
import { resetEnvForTests } from "@/lib/env";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { acceptInvitation } from "./invitations";

/** Members and invitations through the real route handlers (withAuth, zod, the error envelope) on a fresh database. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const saved = { ...process.env };
const TTL = 3600;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-members-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent", CANOPY_INVITATION_TTL_SECONDS: String(TTL), NEXTAUTH_URL: "http://127.0.0.1:4000" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of ["tenant-a", "tenant-b"]) await upsertTenant(db.prisma, t, t);
  await ensureUser(db.prisma, { id: "root-a", email: "root-a@example.com", name: "Root A", passwordHash: "x" });
  await ensureMembership(db.prisma, "tenant-a", "root-a", ["admin"]);
});
afterAll(async () => {
  await restoreServices?.();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

async function tokenFor(tenant: string, subject: string, roles: string[]) {
  return (await mintToken({ tenant, subject, roles, ttlSeconds: 600, now: Math.floor(Date.now() / 1000) }, svc.tokenKeys)).token;
}

type Route = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function call(route: Route, bearer: string | null, opts: { method?: string; url: string; body?: unknown; params?: Record<string, string> }) {
  const res = await route(
    new Request(`http://localhost${opts.url}`, {
      method: opts.method ?? "GET",
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(opts.body ? { "content-type": "application/json" } : {}) },
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    }),
    { params: Promise.resolve(opts.params ?? {}) },
  );
  return { status: res.status, json: await res.json() };
}

const put = (bearer: string, tenant: string, user: string, body: unknown) => call(putRoute as Route, bearer, { method: "PUT", url: `/api/admin/rbac/${tenant}/users/${user}`, body, params: { tenant, user } });
const remove = (bearer: string, tenant: string, user: string) => call(removeRoute as Route, bearer, { method: "DELETE", url: `/api/admin/rbac/${tenant}/users/${user}`, params: { tenant, user } });
const list = (bearer: string, tenant: string) => call(listRoute as Route, bearer, { url: `/api/admin/rbac/${tenant}/users`, params: { tenant } });
const invite = (bearer: string, tenant: string, body: unknown) => call(inviteRoute as Route, bearer, { method: "POST", url: `/api/admin/rbac/${tenant}/invitations`, body, params: { tenant } });
const accept = (body: unknown) => call(acceptRoute as Route, null, { method: "POST", url: "/api/invitations/accept", body });
const secretOf = (link: string) => new URL(link).hash.replace(/^#token=/, "");

describe("the last admin rule", () => {
  test("the tenant's only admin can be neither demoted nor removed; with a second admin both work", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    const demote = await put(admin, "tenant-a", "root-a", { roles: ["viewer"] });
    expect(demote.status).toBe(409);
    expect(demote.json.error).toMatchObject({ code: "last_admin", message: expect.stringMatching(/root-a is the last admin of tenant-a and cannot be demoted/) });
    const rm = await remove(admin, "tenant-a", "root-a");
    expect(rm.status).toBe(409);
    expect(rm.json.error.message).toMatch(/cannot be removed/);
    expect((await db.prisma.membership.findUnique({ where: { tenantId_userId: { tenantId: "tenant-a", userId: "root-a" } } }))!.roles).toEqual(["admin"]);

    expect((await put(admin, "tenant-a", "second", { roles: ["admin"] })).status).toBe(200);
    expect((await put(admin, "tenant-a", "root-a", { roles: ["admin", "approver"] })).status).toBe(200);
    expect((await remove(admin, "tenant-a", "second")).json).toEqual({ tenant: "tenant-a", user: "second", removed: true });
    // second is gone: root-a is the last admin again
    expect((await put(admin, "tenant-a", "root-a", { roles: ["approver"] })).status).toBe(409);
  });

  test("removing a member keeps the user and their other tenants, and is audited", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    await ensureUser(db.prisma, { id: "carol", email: "carol@example.com", name: "Carol", passwordHash: "x" });
    await ensureMembership(db.prisma, "tenant-b", "carol", ["viewer"]);
    expect((await put(admin, "tenant-a", "carol", { roles: ["approver"], groups: ["secops"] })).status).toBe(200);
    expect((await remove(admin, "tenant-a", "carol")).status).toBe(200);
    expect((await remove(admin, "tenant-a", "carol")).status).toBe(404);
    expect(await db.prisma.membership.count({ where: { userId: "carol" } })).toBe(1);
    const [rec] = (await svc.audit.search("tenant-a", auditSearchQuerySchema.parse({ kind: "rbac_change", limit: 1 }))).records;
    expect(rec).toMatchObject({ subject: "root-a", reason: "carol removed from tenant-a", data: { user: "carol", after: null } });
  });
});

describe("members list", () => {
  test("shows roles, groups, Slack link and login state; never a password hash; another tenant's admin is refused", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    expect((await put(admin, "tenant-a", "dave", { roles: ["approver"], groups: ["secops"], slack_user_id: "U0DAVE01" })).status).toBe(200);
    const r = await list(admin, "tenant-a");
    expect(r.status).toBe(200);
    const dave = r.json.members.find((m: { user: string }) => m.user === "dave");
    expect(dave).toMatchObject({ roles: ["approver"], groups: ["secops"], slack_user_id: "U0DAVE01", login: "none" });
    expect(r.json.members.find((m: { user: string }) => m.user === "root-a")).toMatchObject({ login: "password" });
    expect(JSON.stringify(r.json)).not.toMatch(/password_?hash/i);

    const other = await list(await tokenFor("tenant-b", "root-b", ["admin"]), "tenant-a");
    expect(other.status).toBe(403);
    expect((await list(await tokenFor("tenant-a", "v", ["viewer"]), "tenant-a")).status).toBe(200);
    expect((await remove(await tokenFor("tenant-a", "v", ["viewer"]), "tenant-a", "dave")).status).toBe(403);
  });
});

describe("invitations", () => {
  test("an invitation makes the member at once and a link that sets a password exactly once", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    const r = await invite(admin, "tenant-a", { email: "Erin@Example.com", roles: ["approver"], groups: ["secops"] });
    expect(r.status).toBe(201);
    expect(r.json.member).toMatchObject({ tenant: "tenant-a", user: "erin@example.com", roles: ["approver"], groups: ["secops"] });
    const link: string = r.json.invitation.link;
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:4000\/invite#token=[\w-]{43}$/);
    // The secret travels in the fragment: the path and query a server sees carry nothing.
    expect(new URL(link).pathname + new URL(link).search).toBe("/invite");
    expect(r.json.message).toMatch(/No mail server is configured/);
    expect((await list(admin, "tenant-a")).json.invitations.map((i: { email: string }) => i.email)).toContain("erin@example.com");
    expect(JSON.stringify((await list(admin, "tenant-a")).json)).not.toContain(secretOf(link));

    const first = await accept({ token: secretOf(link), password: "a-long-enough-password", name: "Erin" });
    expect(first).toEqual({ status: 200, json: { user: "erin@example.com", email: "erin@example.com", tenant: "tenant-a" } });
    const user = await db.prisma.user.findUnique({ where: { id: "erin@example.com" } });
    expect(await verifyPassword("a-long-enough-password", user!.passwordHash)).toBe(true);
    expect(user!.name).toBe("Erin");

    const again = await accept({ token: secretOf(link), password: "another-long-password" });
    expect(again.status).toBe(410);
    expect(again.json.error.code).toBe("invitation_unusable");
    expect(await verifyPassword("a-long-enough-password", (await db.prisma.user.findUnique({ where: { id: "erin@example.com" } }))!.passwordHash)).toBe(true);
  });

  test("an expired link is refused (injected clock) and sets nothing", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    const r = await invite(admin, "tenant-a", { email: "frank@example.com", roles: ["viewer"] });
    const issued = Date.parse(r.json.invitation.created_at);
    expect(Date.parse(r.json.invitation.expires_at) - issued).toBe(TTL * 1000);
    const body = { token: secretOf(r.json.invitation.link), password: "a-long-enough-password" };
    await expect(acceptInvitation(svc, body, new Date(issued + TTL * 1000))).rejects.toMatchObject({ status: 410 });
    expect((await db.prisma.user.findUnique({ where: { id: "frank@example.com" } }))!.passwordHash).toBeNull();
    // One second before expiry it still works.
    await expect(acceptInvitation(svc, body, new Date(issued + TTL * 1000 - 1000))).resolves.toMatchObject({ user: "frank@example.com" });
  });

  test.each([
    ["an unknown secret", { token: "A".repeat(43), password: "a-long-enough-password" }, 404, "invitation_not_found"],
    ["a malformed secret", { token: "short", password: "a-long-enough-password" }, 400, "validation_error"],
    ["a short password", { token: "A".repeat(43), password: "short" }, 400, "validation_error"],
  ])("accept refuses %s", async (_label, body, status, code) => {
    const r = await accept(body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
  });

  test("inviting someone who already has a login adds the membership without a link", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    await ensureUser(db.prisma, { id: "gina", email: "gina@example.com", name: "Gina", passwordHash: "x" });
    const r = await invite(admin, "tenant-a", { email: "gina@example.com", roles: ["viewer"] });
    expect(r.status).toBe(201);
    expect(r.json.invitation).toBeNull();
    expect(r.json.member.user).toBe("gina");
  });

  test("a seed 000 member without a login is linked to the invited email; another tenant's user is not", async () => {
    const admin = await tokenFor("tenant-a", "root-a", ["admin"]);
    expect((await put(admin, "tenant-a", "hal", { roles: ["approver"] })).status).toBe(200);
    const r = await invite(admin, "tenant-a", { email: "hal@example.com", roles: ["approver"], user: "hal" });
    expect(r.status).toBe(201);
    expect((await db.prisma.user.findUnique({ where: { id: "hal" } }))!.email).toBe("hal@example.com");
    const refused = await invite(admin, "tenant-a", { email: "carol2@example.com", roles: ["viewer"], user: "carol" });
    expect(refused.status).toBe(403);
    expect((await db.prisma.user.findUnique({ where: { id: "carol" } }))!.email).toBe("carol@example.com");
  });

  test("another tenant's admin cannot invite into tenant-a", async () => {
    const r = await invite(await tokenFor("tenant-b", "root-b", ["admin"]), "tenant-a", { email: "mallory@example.com", roles: ["admin"] });
    expect(r.status).toBe(403);
    expect(await db.prisma.user.count({ where: { email: "mallory@example.com" } })).toBe(0);
  });
});
