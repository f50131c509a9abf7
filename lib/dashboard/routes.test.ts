import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GET, POST } from "@/app/api/v1/dashboard/route";
import { makeAuditLog } from "@/lib/audit/testing";
import { mintToken } from "@/lib/auth";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { resetEnvForTests } from "@/lib/env";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { dashboardSchema } from "./schemas";

/** GET /api/v1/dashboard through the real handler: RBAC, tenant scoping, bounded query, the figures. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const now = Date.now();

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-dashboard-routes-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent", CANOPY_PLATFORM_TENANT: "platform" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of ["platform", "acme", "globex"]) await upsertTenant(db.prisma, t, t);
  const log = makeAuditLog(db);
  const ts = new Date(now - 5 * 60_000);
  for (const [tenant, decision, tool] of [["acme", "allow", "fs.read"], ["acme", "deny", "fs.write"], ["acme", "deny", "fs.write"], ["globex", "approval", "pay.refund"]]) {
    await log.append({ tenant, kind: "tool_decision", ts, decision, tool, rule: `${tool}-rule`, subject: "agent", latencyMs: 2 });
  }
  await log.append({ tenant: "acme", kind: "tool_result", ts, decision: "allow", tool: "fs.read", upstreamOutcome: "tool_error", latencyMs: 40 });
  log.close();
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function get(query: string, roles: string[], tenant = "acme") {
  const bearer = (await mintToken({ tenant, subject: "u", roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
  const res = await GET(new Request(`http://localhost/api/v1/dashboard${query}`, { headers: { authorization: `Bearer ${bearer}` } }), { params: Promise.resolve({}) });
  return { status: res.status, body: await res.json() };
}

describe("GET /api/v1/dashboard", () => {
  test.each([
    ["1h in minute buckets from the records", "?range=1h", "minute", 60, "records"],
    ["24h in hour buckets from the rollup", "", "hour", 24, "rollup"],
    ["7d in 6-hour buckets", "?range=7d", "6h", 28, "rollup"],
    ["30d in day buckets", "?range=30d", "day", 30, "rollup"],
    ["24h in 5-minute buckets on request", "?range=24h&bucket=5m", "5m", 288, "records"],
  ])("%s", async (_label, query, bucket, buckets, source) => {
    const { status, body } = await get(query, ["viewer"]);
    expect(status).toBe(200);
    const d = dashboardSchema.parse(body);
    expect(d).toMatchObject({ tenant: "acme", bucket, source });
    expect(d.series).toHaveLength(buckets);
    expect(d.totals).toEqual({ decisions: 3, allow: 1, deny: 2, approval: 0, error: 1, other: 0 });
    expect(d.top_tools).toEqual([{ tool: "fs.write", count: 2 }, { tool: "fs.read", count: 1 }]);
    expect(d.top_denied_rules).toEqual([{ rule: "fs.write-rule", count: 2 }]);
    expect(d.latency.decision).toMatchObject({ count: 3 });
    expect(d.latency.upstream!.p95_ms).toBeGreaterThanOrEqual(40);
  });

  test.each([
    ["an agent lacks audit.read", "", ["agent"], "acme", 403, "forbidden", undefined],
    ["a tenant admin may not read another tenant", "?tenant=globex", ["admin"], "acme", 403, "forbidden", undefined],
    ["an unknown range", "?range=2y", ["viewer"], "acme", 400, "validation_error", "range"],
    ["minute buckets over 30 days", "?range=30d&bucket=minute", ["viewer"], "acme", 400, "validation_error", "bucket"],
    ["sub-hour buckets over 7 days", "?range=7d&bucket=5m", ["viewer"], "acme", 400, "validation_error", "bucket"],
    ["a bucket longer than the range", "?range=1h&bucket=day", ["viewer"], "acme", 400, "validation_error", "bucket"],
    ["top above 50", "?top=51", ["viewer"], "acme", 400, "validation_error", "top"],
    ["a platform admin asking for a tenant that does not exist", "?tenant=nope", ["admin"], "platform", 404, "not_found", undefined],
  ])("refused: %s", async (_label, query, roles, tenant, status, code, field) => {
    const res = await get(query, roles, tenant);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (field) expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });

  test.each([
    ["a tenant user sees only their tenant", "acme", ["viewer"], "", "acme", 3],
    ["globex's viewer sees globex's one call", "globex", ["viewer"], "", "globex", 1],
    ["a platform admin picks globex", "platform", ["admin"], "?tenant=globex", "globex", 1],
    ["a platform admin's own (empty) tenant", "platform", ["admin"], "", "platform", 0],
  ])("isolation: %s", async (_label, tenant, roles, query, shown, decisions) => {
    const { status, body } = await get(query, roles, tenant);
    expect(status).toBe(200);
    expect(body.tenant).toBe(shown);
    expect(body.totals.decisions).toBe(decisions);
  });

  test("a platform viewer (not admin) may not pick another tenant", async () => {
    expect((await get("?tenant=acme", ["viewer"], "platform")).status).toBe(403);
  });

  test("methods other than GET are 405", async () => {
    const res = await POST(new Request("http://localhost/api/v1/dashboard", { method: "POST" }));
    expect(res.status).toBe(405);
  });
});
