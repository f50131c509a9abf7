import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { GET as checkpointsRoute } from "@/app/api/v1/audit/checkpoints/route";
import { GET as exportRoute } from "@/app/api/v1/audit/export/route";
import { GET as searchRoute, POST as writeRoute } from "@/app/api/v1/audit/route";
import { GET as verifyRoute } from "@/app/api/v1/audit/verify/route";
import { mintToken } from "@/lib/auth";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { resetEnvForTests } from "@/lib/env";
import { verifyExportLines } from "./export-format";

/** The audit HTTP contract through the real route handlers (withAuth, zod, error envelope) on a test database. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-audit-routes-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent", AUDIT_CHECKPOINT_EVERY: "3" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  // Tokens are accepted only for tenants that exist.
  await upsertTenant(db.prisma, "acme", "acme");
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function token(subject: string, roles: string[], tenant = "acme") {
  return (await mintToken({ tenant, subject, roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
}

type Handler = (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;
async function call(handler: Handler, opts: { method?: string; url?: string; bearer: string; body?: unknown }) {
  const req = new Request(`http://localhost${opts.url ?? "/api/v1/audit"}`, {
    method: opts.method ?? "GET",
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.bearer}` },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return handler(req, { params: Promise.resolve({}) });
}

describe("audit HTTP API (route handlers)", () => {
  test("POST /api/v1/audit (AegisMCP audit_write) appends an agent_note for the caller's tenant", async () => {
    const agent = await token("agent-42", ["agent"]);
    for (const [i, body] of [{ action: "refund.create", tool: "payments.refund", ok: true, note: "refunded 20 EUR" }, { action: "login" }, { action: "x", ok: false }].entries()) {
      const res = await call(writeRoute, { method: "POST", bearer: agent, body });
      expect(res.status).toBe(201);
      const json = await res.json();
      expect(json).toMatchObject({ ok: true, record: { tenant: "acme", seq: i + 1, kind: "agent_note", subject: "agent-42", data: { action: body.action } } });
    }
  });

  test.each([
    ["a viewer cannot write", ["viewer"], "POST", { action: "x" }, 403, "forbidden"],
    ["an agent cannot read", ["agent"], "GET", undefined, 403, "forbidden"],
    ["a body without action is refused", ["agent"], "POST", { note: "x" }, 400, "validation_error"],
  ] as const)("%s", async (_label, roles, method, body, status, code) => {
    const res = await call(method === "POST" ? writeRoute : searchRoute, { method, bearer: await token("u", [...roles]), body });
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });

  test("GET /api/v1/audit searches the tenant, newest first, with filters and a cursor", async () => {
    const viewer = await token("vera", ["viewer"]);
    const all = await (await call(searchRoute, { bearer: viewer })).json();
    expect(all.records.map((r: { seq: number }) => r.seq)).toEqual([3, 2, 1]);
    const tool = await (await call(searchRoute, { bearer: viewer, url: "/api/v1/audit?tool=payments.*" })).json();
    expect(tool.records.map((r: { seq: number }) => r.seq)).toEqual([1]);
    const page = await (await call(searchRoute, { bearer: viewer, url: "/api/v1/audit?limit=2" })).json();
    expect(page.next_cursor).toBe("2");
    const rest = await (await call(searchRoute, { bearer: viewer, url: `/api/v1/audit?limit=2&cursor=${page.next_cursor}` })).json();
    expect(rest).toMatchObject({ records: [{ seq: 1 }], next_cursor: null });
  });

  test.each([
    ["another tenant", "/api/v1/audit?tenant=globex", 403],
    ["a bad cursor", "/api/v1/audit?cursor=abc", 400],
    ["a bad limit", "/api/v1/audit?limit=5000", 400],
    ["a bad date", "/api/v1/audit?from=yesterday", 400],
  ])("GET refuses %s", async (_label, url, status) => {
    const res = await call(searchRoute, { bearer: await token("vera", ["viewer"]), url });
    expect(res.status).toBe(status);
  });

  test("GET /api/v1/audit/verify reports the chain; checkpoints come with the public key", async () => {
    const viewer = await token("vera", ["viewer"]);
    expect(await (await call(verifyRoute, { bearer: viewer, url: "/api/v1/audit/verify" })).json()).toMatchObject({ ok: true, count: 3, checkpoints_verified: 1 });
    expect((await call(verifyRoute, { bearer: viewer, url: "/api/v1/audit/verify?tenant=globex" })).status).toBe(403);
    const cps = await (await call(checkpointsRoute, { bearer: viewer, url: "/api/v1/audit/checkpoints" })).json();
    expect(cps).toMatchObject({ checkpoints: [{ tenant: "acme", seq: 3 }], public_key: expect.stringContaining("BEGIN PUBLIC KEY") });
  });

  test("GET /api/v1/audit/export streams JSONL that verifies offline with the published key (audit.export only)", async () => {
    const viewer = await token("vera", ["viewer"]);
    expect((await call(exportRoute, { bearer: viewer, url: "/api/v1/audit/export" })).status).toBe(403);
    const admin = await token("ada", ["admin"]);
    const res = await call(exportRoute, { bearer: admin, url: "/api/v1/audit/export" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/ndjson/);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="audit-acme-/);
    const lines = (await res.text()).trim().split("\n");
    const { public_key } = await (await call(checkpointsRoute, { bearer: admin, url: "/api/v1/audit/checkpoints" })).json();
    expect(await verifyExportLines(lines, [public_key])).toMatchObject({ ok: true, count: 3, checkpoints_verified: 1 });
  });
});

describe("the explorer's upstream outcome filter", () => {
  beforeAll(async () => {
    await upsertTenant(db.prisma, "outcomes", "outcomes");
    for (const [i, upstreamOutcome] of ["ok", "tool_error", "ECONNREFUSED", null].entries()) {
      await svc.audit.append({ tenant: "outcomes", kind: i === 3 ? "tool_decision" : "tool_result", subject: "agent", tool: "fs.read", decision: "allow", upstreamOutcome });
    }
  });

  test.each([
    ["ok: the call that succeeded", "?outcome=ok", [1]],
    ["error: every other recorded outcome", "?outcome=error", [3, 2]],
    ["kind tool_result (now offered by the kind filter)", "?kind=tool_result", [3, 2, 1]],
    ["no outcome filter", "", [4, 3, 2, 1]],
  ])("%s", async (_label, query, seqs) => {
    const res = await call(searchRoute, { bearer: await token("vera", ["viewer"], "outcomes"), url: `/api/v1/audit${query}` });
    expect((await res.json()).records.map((r: { seq: number }) => r.seq)).toEqual(seqs);
  });

  test("an unknown outcome is refused naming the field", async () => {
    const res = await call(searchRoute, { bearer: await token("vera", ["viewer"], "outcomes"), url: "/api/v1/audit?outcome=maybe" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.details[0].path).toBe("outcome");
  });
});
