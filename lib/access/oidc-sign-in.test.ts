import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { ensureMembership, ensureUser } from "@/lib/db/users";
import { resetEnvForTests } from "@/lib/env";
import { createTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { parseOidcMapping } from "./oidc-mapping";
import { resolveOidcSignIn } from "./oidc-sign-in";

let db: TestDb;
let dataDir: string;
let svc: Services;
const saved = { ...process.env };
const rules = parseOidcMapping(JSON.stringify([{ claim: "groups", equals: "secops", tenant: "acme", roles: ["approver"], groups: ["secops"] }]));

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-oidc-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  resetEnvForTests();
  svc = createTestServices(db);
  await upsertTenant(db.prisma, "acme", "Acme");
  await ensureUser(db.prisma, { id: "invited", email: "invited@acme.example", name: "Invited", passwordHash: "" });
  await db.prisma.user.update({ where: { id: "invited" }, data: { passwordHash: null } });
  await ensureMembership(db.prisma, "acme", "invited", ["viewer"]);
});
afterAll(async () => {
  await svc?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

describe("single sign-on resolution", () => {
  test("an invited email matches only when the IdP says email_verified", async () => {
    expect(await resolveOidcSignIn(svc, { sub: "idp-1", email: "invited@acme.example", email_verified: false }, [])).toMatchObject({ ok: false });
    expect(await resolveOidcSignIn(svc, { sub: "idp-1", email: "invited@acme.example" }, [])).toMatchObject({ ok: false });
    expect((await db.prisma.user.findUnique({ where: { id: "invited" } }))!.oidcSubject).toBeNull();
    expect(await resolveOidcSignIn(svc, { sub: "idp-1", email: "INVITED@acme.example", email_verified: true }, [])).toEqual({ ok: true, userId: "invited", created: false });
    // Linked now: the subject alone finds the user, whatever the email says later.
    expect(await resolveOidcSignIn(svc, { sub: "idp-1", email: "other@x.example", email_verified: false }, [])).toEqual({ ok: true, userId: "invited", created: false });
    // Another IdP identity with the same verified email does not take the account over.
    expect(await resolveOidcSignIn(svc, { sub: "idp-2", email: "invited@acme.example", email_verified: true }, [])).toMatchObject({ ok: false, reason: /another single sign-on identity/ });
  });

  test("a first sign-in whose group maps to approver creates the user with that membership; no rule, no account", async () => {
    const r = await resolveOidcSignIn(svc, { sub: "idp-3", email: "olga@acme.example", email_verified: true, name: "Olga", groups: ["secops"] }, rules);
    expect(r).toEqual({ ok: true, userId: "olga@acme.example", created: true });
    const m = await db.prisma.membership.findUnique({ where: { tenantId_userId: { tenantId: "acme", userId: "olga@acme.example" } } });
    expect(m).toMatchObject({ roles: ["approver"], groups: ["secops"] });
    expect(await resolveOidcSignIn(svc, { sub: "idp-4", email: "nobody@acme.example", email_verified: true, groups: ["sales"] }, rules)).toMatchObject({ ok: false });
    expect(await db.prisma.user.count({ where: { oidcSubject: "idp-4" } })).toBe(0);
  });

  test("an unverified email is not stored on a user the rules create", async () => {
    const r = await resolveOidcSignIn(svc, { sub: "idp-5", email: "admin@acme.example", email_verified: false, groups: ["secops"] }, rules);
    expect(r).toEqual({ ok: true, userId: "oidc-idp-5", created: true });
    expect((await db.prisma.user.findUnique({ where: { id: "oidc-idp-5" } }))!.email).toBeNull();
  });
});
