import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { GET as searchRoute, POST as writeRoute } from "@/app/api/v1/audit/route";
import { mintToken } from "@/lib/auth";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { resetEnvForTests } from "@/lib/env";

/** An agent's note gets its own trace id; a trace id it names is only a reference, to its own calls. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const CALL_TRACE = "11111111-2222-4333-8444-555555555555";

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-audit-notes-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  // Tokens for tenants that do not exist are refused: create the ones the tests act in.
  for (const t of ["acme", "globex"]) await upsertTenant(db.prisma, t, t);
  await svc.audit.append({ tenant: "acme", kind: "tool_decision", traceId: CALL_TRACE, subject: "agent-42", tool: "fs.write", decision: "allow" });
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function note(subject: string, body: Record<string, unknown>, tenant = "acme", headers: Record<string, string> = {}) {
  const { token } = await mintToken({ tenant, subject, roles: ["agent"], ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys);
  const res = await writeRoute(
    new Request("http://localhost/api/v1/audit", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) },
  );
  return { status: res.status, body: await res.json() };
}

async function count(tenant = "acme") {
  const { token } = await mintToken({ tenant, subject: "auditor", roles: ["viewer"], ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys);
  const res = await searchRoute(new Request("http://localhost/api/v1/audit?limit=500", { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });
  return (await res.json()).records.length as number;
}

describe("agent notes and trace ids", () => {
  test("a note gets a trace id of its own, not a caller-chosen request id", async () => {
    const r = await note("agent-42", { action: "refund.create" }, "acme", { "x-request-id": CALL_TRACE });
    expect(r.status).toBe(201);
    expect(r.body.record.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.record.trace_id).not.toBe(CALL_TRACE);
    expect(r.body.record.data.refers_to).toBeNull();
  });

  test("naming its own call's trace id: kept as data.refers_to only; the note's trace id stays its own", async () => {
    const r = await note("agent-42", { action: "refund.create", trace_id: CALL_TRACE });
    expect(r.status).toBe(201);
    expect(r.body.record.trace_id).not.toBe(CALL_TRACE);
    expect(r.body.record.data.refers_to).toBe(CALL_TRACE);
  });

  test.each([
    ["another subject of the same tenant", "agent-43", "acme", CALL_TRACE],
    ["the same subject name in another tenant", "agent-42", "globex", CALL_TRACE],
    ["a trace id that exists nowhere", "agent-42", "acme", "no-such-trace"],
  ])("%s: 403 trace_not_yours, nothing appended", async (_label, subject, tenant, traceId) => {
    const before = await count(tenant);
    const r = await note(subject, { action: "cover-up", trace_id: traceId }, tenant);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: "trace_not_yours", message: expect.stringMatching(/a note may refer only to your own calls/) });
    expect(await count(tenant)).toBe(before);
  });
});
