import { randomBytes } from "node:crypto";
import { resetEnvForTests } from "@/lib/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DELETE as deleteRoute, PUT as putRoute } from "@/app/api/admin/upstreams/[name]/route";
import { GET as listRoute } from "@/app/api/admin/upstreams/route";
import { type AuditLog, auditUnavailable } from "@/lib/audit";
import { mintToken } from "@/lib/auth";
import { installServices } from "@/lib/server";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb } from "@/lib/db/testing";
import { getUpstreamRow, listUpstreamRows } from "@/lib/db/upstreams";
import { parseUpstreamsConfig } from "./config";
import { UnknownToolError } from "./errors";
import { UpstreamRegistry } from "./registry";
import { startTestUpstream, type TestUpstream } from "./test-server";

// This file's own database (real Postgres with DATABASE_URL, else in-memory PGlite).
const testDb = createTestDb();
const getDb = () => testDb;

/** /api/admin/upstreams through the real route handlers: withAuth, RBAC, zod, audit, error envelope. */

const run = randomBytes(4).toString("hex");
const T = `up-routes-${run}`;
let svc: Services;
let restoreServices: () => Promise<void>;

let upstream: TestUpstream;
let registry: UpstreamRegistry;

async function token(roles: string[], tenant = T) {
  return (await mintToken({ tenant, subject: `user-${roles.join("-")}`, roles, ttlSeconds: 600, now: Date.now() / 1000 }, svc.tokenKeys)).token;
}

type Handler = (req: Request, ctx: { params: Promise<{ name: string }> }) => Promise<Response>;
async function call(handler: Handler, opts: { method: string; name?: string; bearer: string; body?: unknown; query?: string }) {
  const path = `/api/admin/upstreams${opts.name ? `/${opts.name}` : ""}${opts.query ?? ""}`;
  const req = new Request(`http://localhost${path}`, {
    method: opts.method,
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.bearer}` },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const res = await handler(req, { params: Promise.resolve({ name: opts.name ?? "" }) });
  return { status: res.status, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type View = { name: string; source: string; tenant: string | null };
const mine = (upstreams: View[]) => upstreams.filter((u) => u.source === "file" || u.tenant === T);

const put = (bearer: string, name: string, body: unknown, query?: string) => call(putRoute, { method: "PUT", name, bearer, body, query });
const del = (bearer: string, name: string) => call(deleteRoute, { method: "DELETE", name, bearer });
const list = (bearer: string) => call(listRoute as unknown as Handler, { method: "GET", bearer });

beforeAll(async () => {
  // The test upstreams listen on loopback.
  process.env.UPSTREAM_ALLOW_PRIVATE_NETWORKS = "true";
  resetEnvForTests();
  upstream = await startTestUpstream({ token: "route-token", label: "route-upstream" });
  registry = new UpstreamRegistry(parseUpstreamsConfig(`servers:\n  - name: files\n    transport: http\n    url: ${upstream.url}\n    enabled: false\n`), {
    baseDir: process.cwd(),
    resolveSecret: (n) => ({ UPSTREAM_ROUTE_TOKEN: "route-token" })[n],
    connectTimeoutMs: 2_000,
    // This file's rows only: with DATABASE_URL the table is shared with other tests and demos.
    db: { load: async () => (await listUpstreamRows((await getDb()).prisma)).filter((r) => r.tenantId === T), reloadMs: 60_000 },
  });
  svc = createTestServices(await getDb(), { upstreams: registry });
  restoreServices = installTestServices(svc);
  // Tokens are accepted only for tenants that exist.
  await upsertTenant((await getDb()).prisma, T, T);
});

afterAll(async () => {
  await restoreServices();
  const { prisma } = await getDb();
  await prisma.upstreamServer.deleteMany({ where: { tenantId: T } });
  await registry.close();
  await upstream.stop();
  await (await testDb).drop();
});

const ticketsBody = { transport: "http", url: "", headers: { Authorization: "Bearer ${UPSTREAM_ROUTE_TOKEN}" }, tools: { create_ticket: { aliases: ["tickets.create"] } } };

describe("/api/admin/upstreams", () => {
  test("needs upstreams.manage", async () => {
    const viewer = await token(["viewer"]);
    expect((await list(viewer)).status).toBe(403);
    const r = await put(viewer, "tickets", { ...ticketsBody, url: upstream.url });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/permission upstreams\.manage is required/);
  });

  test("PUT creates (201), is audited, and the upstream is callable through the registry for the tenant at once", async () => {
    const admin = await token(["admin"]);
    const created = await put(admin, "tickets", { ...ticketsBody, url: upstream.url });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ created: true, upstream: { name: "tickets", source: "db", tenant: T, editable: true, url: upstream.url, headers: { Authorization: "Bearer ${UPSTREAM_ROUTE_TOKEN}" } } });
    const replaced = await put(admin, "tickets", { ...ticketsBody, url: upstream.url, timeout_ms: 9000 });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ created: false, upstream: { timeout_ms: 9000 } });

    const { prisma } = await getDb();
    const records = await prisma.auditRecord.findMany({ where: { tenantId: T, kind: "admin_action" }, orderBy: { seq: "asc" } });
    expect(records.map((r) => r.reason)).toEqual([`upstream tickets created (http ${upstream.url})`, `upstream tickets replaced (http ${upstream.url})`]);
    expect(records[0].subject).toBe("user-admin");

    // The registry reloaded at once (its interval here is a minute).
    const r = await registry.callTool("tickets.create", { title: "via route" }, { tenant: T });
    expect(r.content).toEqual([{ type: "text", text: 'route-upstream: created "via route"' }]);
    await expect(registry.callTool("tickets.create", { title: "x" }, { tenant: `${T}-other` })).rejects.toBeInstanceOf(UnknownToolError);

    const listed = await list(admin);
    expect(listed.status).toBe(200);
    expect(mine(listed.json.upstreams)).toEqual([
      expect.objectContaining({ name: "files", source: "file", editable: false, enabled: false, status: null }),
      expect.objectContaining({ name: "tickets", source: "db", editable: true, enabled: true, status: expect.objectContaining({ state: "ready" }) }),
    ]);
  });

  test("refusals: stdio 400, literal credential 400, file upstream 409, other tenant 403, bad JSON 400", async () => {
    const admin = await token(["admin"]);
    const stdio = await put(admin, "shell", { transport: "stdio", command: "/bin/sh" });
    expect(stdio).toMatchObject({ status: 400, json: { error: { code: "bad_request", message: expect.stringMatching(/^stdio upstreams cannot be managed through the API.*upstreams\.yaml/) } } });
    const literal = await put(admin, "leaky", { ...ticketsBody, url: upstream.url, headers: { Authorization: "Bearer hunter2" }, tools: {} });
    expect(literal).toMatchObject({ status: 400, json: { error: { code: "validation_error", message: expect.stringContaining("headers.Authorization: credential headers must reference a secret") } } });
    const file = await put(admin, "files", { ...ticketsBody, url: upstream.url, tools: {} });
    expect(file).toMatchObject({ status: 409, json: { error: { code: "conflict", message: expect.stringContaining("upstream files is defined in upstreams.yaml and is read-only here") } } });
    expect((await del(admin, "files")).status).toBe(409);
    expect((await put(admin, "other", { ...ticketsBody, url: upstream.url, tools: {} }, "?tenant=someone-else")).status).toBe(403);
    const req = new Request("http://localhost/api/admin/upstreams/x", { method: "PUT", headers: { authorization: `Bearer ${admin}` }, body: "{not json" });
    expect((await putRoute(req, { params: Promise.resolve({ name: "x" }) })).status).toBe(400);
    const { prisma } = await getDb();
    for (const n of ["shell", "leaky", "files", "other"]) expect(await getUpstreamRow(prisma, T, n)).toBeNull();
  });

  test("audit log down: 503, nothing changed", async () => {
    const admin = await token(["admin"]);
    const auditDown = { append: () => Promise.reject(auditUnavailable("audit store did not answer within 5000 ms")), close() {} } as unknown as AuditLog;
    const saved = installServices(createTestServices(await getDb(), { upstreams: registry, audit: auditDown }));
    try {
      const r = await put(admin, "later", { ...ticketsBody, url: upstream.url, tools: {} });
      expect(r).toMatchObject({ status: 503, json: { error: { code: "audit_unavailable", message: "the audit log is unavailable, so upstream later was not changed: audit store did not answer within 5000 ms" } } });
      expect((await del(admin, "tickets")).status).toBe(503);
    } finally {
      installServices(saved);
    }
    const { prisma } = await getDb();
    expect(await getUpstreamRow(prisma, T, "later")).toBeNull();
    expect(await getUpstreamRow(prisma, T, "tickets")).not.toBeNull();
  });

  test("DELETE removes it (audited), closes the connection; a second DELETE is 404", async () => {
    const admin = await token(["admin"]);
    const r = await del(admin, "tickets");
    expect(r).toEqual({ status: 200, json: { deleted: "tickets", tenant: T } });
    await expect(registry.callTool("tickets.create", { title: "x" }, { tenant: T })).rejects.toBeInstanceOf(UnknownToolError);
    await expect.poll(() => upstream.openSessions()).toBe(0);
    expect((await del(admin, "tickets")).status).toBe(404);
    const { prisma } = await getDb();
    const last = await prisma.auditRecord.findFirst({ where: { tenantId: T, kind: "admin_action" }, orderBy: { seq: "desc" } });
    expect(last?.reason).toBe(`upstream tickets deleted (http ${upstream.url})`);
    expect(mine((await list(admin)).json.upstreams).map((u) => u.name)).toEqual(["files"]);
  });
});
