import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GET as healthRoute } from "@/app/api/health/route";
import type { AuditLog } from "@/lib/audit";
import { makeAuditLog } from "@/lib/audit/testing";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { createTestServices, installTestServices } from "@/lib/server/testing";

/** /api/health reports the audit log's recent write health, so a load balancer stops sending calls it would refuse. */

let db: TestDb;
let log: AuditLog;
let restoreServices: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDb();
  // Writes for tenant "broken" fail as a read-only or failing store would.
  await db.sql.query(`CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.tenant_id = 'broken' THEN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction'; END IF; RETURN NEW; END $$`);
  await db.sql.query(`CREATE TRIGGER refuse_broken BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION refuse_broken()`);
  log = makeAuditLog(db);
  restoreServices = installTestServices(createTestServices(db, { audit: log }));
});
afterAll(async () => {
  log?.close();
  await restoreServices?.();
  await db?.drop();
});

async function health() {
  const res = await healthRoute(new Request("http://localhost/api/health"), { params: Promise.resolve({}) });
  return { status: res.status, body: await res.json() };
}

describe("audit write health", () => {
  test("no write yet, then a good write: ok", async () => {
    expect(log.writeHealth()).toMatchObject({ ok: true, last_success_at: null, last_failure_at: null });
    await log.append({ tenant: "fine", kind: "login" });
    expect(log.writeHealth()).toMatchObject({ ok: true, last_success_at: expect.any(String), last_failure_at: null });
  });

  test("the latest write failed: not ok, /api/health answers 503 degraded with checks.audit", async () => {
    await expect(log.append({ tenant: "broken", kind: "login" })).rejects.toMatchObject({ code: "audit_unavailable" });
    expect(log.writeHealth()).toMatchObject({ ok: false, error: expect.stringMatching(/latest audit write failed and none succeeded since: .*read-only/) });
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body.status).toBe("degraded");
    expect(Object.keys(r.body.checks).sort()).toEqual(["audit", "db", "migrations", "policy", "redis"]);
    expect(r.body.checks.audit).toMatchObject({ ok: false, last_failure_at: expect.any(String) });
    expect(r.body.checks.db.ok).toBe(true);
  });

  test("a later successful write makes it ok again", async () => {
    await log.append({ tenant: "fine", kind: "login" });
    expect(log.writeHealth().ok).toBe(true);
    expect((await health()).body.checks.audit.ok).toBe(true);
  });
});
