import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DELETE as endRoute, GET as statusRoute, POST as activateRoute } from "@/app/api/ops/emergency/route";
import { POST as mcpRoute } from "@/app/api/mcp/route";
import { mintToken } from "@/lib/auth";
import { bootstrap } from "@/lib/bootstrap";
import { manualClock } from "@/lib/clock";
import { searchAuditRows } from "@/lib/db/audit-records";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env, resetEnvForTests } from "@/lib/env";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { prismaTargetStore } from "./store";
import { fakeBackend, putTarget } from "./testing";

/**
 * Break-glass (issue 16 item 4) through the real routes, database and sample policy: bounded by
 * OPS_EMERGENCY_MAX_MINUTES, audited, one live activation per tenant, ending by the (injected)
 * clock; while live, a production restart on a Saturday runs under the sample's break-glass rule.
 */
const SATURDAY_10 = new Date("2026-12-05T10:00:00Z");
const clock = manualClock(SATURDAY_10);
const ssh = fakeBackend("ssh");
let db: TestDb;
let dir: string;
let svc: Services;
let restore: () => Promise<void>;
let tenant: string;
const saved = { ...process.env };

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "ops-bg-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dir, LOG_LEVEL: "silent", OPS_EMERGENCY_MAX_MINUTES: "45" });
  resetEnvForTests();
  tenant = env().CANOPY_DEMO_TENANT;
  svc = createTestServices(db, { clock, ops: { backends: { ssh } } });
  restore = installTestServices(svc);
  await bootstrap(svc);
  await upsertTenant(db.prisma, "acme", "Acme");
  await putTarget(prismaTargetStore(db.prisma), tenant, {
    id: "prod-web-01", name: "prod web", backend: "ssh", address: "10.0.0.5", role: "production", credential_ref: "WEB_KEY", options: { username: "deploy" },
  });
});

afterAll(async () => {
  await restore?.();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.env = saved;
  resetEnvForTests();
});

const bearer = async (subject: string, roles: string[], t = tenant) => (await mintToken({ tenant: t, subject, roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;

type Handler = (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;
async function http(handler: Handler, token: string, opts: { method?: string; body?: unknown; query?: string } = {}) {
  const req = new Request(`http://localhost/api/ops/emergency${opts.query ?? ""}`, {
    method: opts.method ?? "GET",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const res = await handler(req, { params: Promise.resolve({}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked by the assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON-RPC answers are checked by the assertions
async function restart(): Promise<Record<string, any>> {
  const req = new Request("http://localhost/api/mcp", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${await bearer("agent-7", ["agent"])}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ops.service_restart", arguments: { target_id: "prod-web-01", service_name: "nginx" } } }),
  });
  return (await (await mcpRoute(req, { params: Promise.resolve({}) })).json()).result;
}
const executions = () => ssh.calls.filter((c) => c.method === "execute").length;

describe("break-glass", () => {
  test.each([
    ["a reason too short", { reason: "down", minutes: 10 }, "reason"],
    ["longer than OPS_EMERGENCY_MAX_MINUTES", { reason: "INC-7 web is down", minutes: 46 }, "minutes"],
    ["no minutes", { reason: "INC-7 web is down" }, "minutes"],
  ])("refuses %s (400 naming the field)", async (_label, body, field) => {
    const r = await http(activateRoute, await bearer("dana", ["admin"]), { method: "POST", body });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
  });

  test.each([
    ["viewer", ["viewer"], 200, 403],
    ["agent", ["agent"], 403, 403],
  ])("%s: status %s, activate %s", async (_label, roles, read, manage) => {
    const token = await bearer("someone", roles);
    expect((await http(statusRoute, token)).status).toBe(read);
    expect((await http(activateRoute, token, { method: "POST", body: { reason: "INC-7 web is down", minutes: 5 } })).status).toBe(manage);
  });

  test("outside business hours a production restart is denied; under break-glass it runs once; when the clock passes its end it is denied again", async () => {
    const denied = await restart();
    expect(denied._meta.canopyiq).toMatchObject({ decision: "deny", rule: "Production restarts only in business hours" });
    expect(executions()).toBe(0);

    const admin = await bearer("dana", ["admin"]);
    const on = await http(activateRoute, admin, { method: "POST", body: { reason: "INC-42: web down, restart nginx", minutes: 30 } });
    expect(on).toMatchObject({ status: 201, body: { tenant, scope: "platform", activated_by: "dana", expires_at: "2026-12-05T10:30:00.000Z", ended_at: null } });
    expect((await http(activateRoute, admin, { method: "POST", body: { reason: "INC-43 another one", minutes: 5 } })).status).toBe(409);
    expect((await http(statusRoute, await bearer("vic", ["viewer"]))).body).toMatchObject({ active: { id: on.body.id, reason: "INC-42: web down, restart nginx" }, max_minutes: 45, role: "emergency" });

    const ran = await restart();
    expect(ran._meta.canopyiq).toMatchObject({ decision: "allow", rule: "Break-glass operators" });
    expect(executions()).toBe(1);
    const [decision] = await searchAuditRows(db, tenant, { trace_id: ran._meta.canopyiq.trace_id, kind: ["tool_decision"] }, { limit: 1 });
    expect(decision.data).toMatchObject({ facts: { ops: { emergency: { id: on.body.id, reason: "INC-42: web down, restart nginx" } } } });
    const [record] = await searchAuditRows(db, tenant, { kind: ["admin_action"], q: "BREAK-GLASS activated" }, { limit: 1 });
    expect(record).toMatchObject({ subject: "dana", reason: expect.stringContaining("for 30 min by dana") });

    clock.advance(30 * 60_000);
    expect((await http(statusRoute, admin)).body.active).toBeNull();
    expect((await restart())._meta.canopyiq).toMatchObject({ decision: "deny", rule: "Production restarts only in business hours" });
    expect(executions()).toBe(1);
  });

  test("ended early: gone at once, audited", async () => {
    const admin = await bearer("dana", ["admin"]);
    expect((await http(activateRoute, admin, { method: "POST", body: { reason: "INC-44 db failover", minutes: 10 } })).status).toBe(201);
    const ended = await http(endRoute, admin, { method: "DELETE" });
    expect(ended).toMatchObject({ status: 200, body: { ended_by: "dana" } });
    expect((await http(statusRoute, admin)).body.active).toBeNull();
    expect((await restart())._meta.canopyiq.decision).toBe("deny");
    expect((await http(endRoute, admin, { method: "DELETE" })).status).toBe(404);
  });

  test("a tenant admin acts on its own tenant only; a platform admin on another tenant (scope platform)", async () => {
    const acmeAdmin = await bearer("alex", ["admin"], "acme");
    expect((await http(activateRoute, acmeAdmin, { method: "POST", body: { reason: "INC-9 acme outage", minutes: 5, tenant } })).status).toBe(403);
    expect((await http(activateRoute, acmeAdmin, { method: "POST", body: { reason: "INC-9 acme outage", minutes: 5 } })).body).toMatchObject({ tenant: "acme", scope: "tenant" });
    expect((await http(endRoute, acmeAdmin, { method: "DELETE" })).status).toBe(200);
    const platform = await http(activateRoute, await bearer("dana", ["admin"]), { method: "POST", body: { reason: "INC-10 platform-wide outage", minutes: 5, tenant: "acme" } });
    expect(platform.body).toMatchObject({ tenant: "acme", scope: "platform", activated_by: "dana" });
    expect((await http(statusRoute, acmeAdmin)).body.active).toMatchObject({ id: platform.body.id });
    expect((await http(endRoute, await bearer("dana", ["admin"]), { method: "DELETE", query: "?tenant=acme" })).status).toBe(200);
  });
});
