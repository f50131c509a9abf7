import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mintToken } from "@/lib/auth/tokens";
import { recordToken } from "@/lib/db/api-tokens";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { createTestServices, installTestServices } from "./testing";
import type { Services } from "./types";
import { withAuth } from "./with-auth";

let db: TestDb;
let svc: Services;
let restoreServices: () => Promise<void>;

const now = () => Math.floor(Date.now() / 1000);
async function token(tenant: string, roles: string[], ttlSeconds = 600) {
  return mintToken({ tenant, subject: "agent-42", roles, ttlSeconds, now: now() }, svc.tokenKeys);
}

// A route of the table that needs rbac.read and takes a {tenant}.
const handler = withAuth("access.members.list", async ({ principal, params }) => ({ who: principal.subject, tenant: principal.tenant, params }));

async function call(headers: Record<string, string>, params: { tenant?: string } = {}) {
  const res = await handler(new Request("http://test/api/x", { headers }), { params: Promise.resolve(params as { tenant: string }) });
  return { status: res.status, body: await res.json(), requestId: res.headers.get("x-request-id") };
}

beforeAll(async () => {
  db = await createTestDb();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  await upsertTenant(db.prisma, "tenant-a", "A");
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
});

describe("withAuth", () => {
  test("no credentials → 401 in the error envelope", async () => {
    const r = await call({});
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("unauthorized");
    expect(r.requestId).toBeTruthy();
  });

  test("a malformed Authorization header → 401 naming the expected form", async () => {
    const r = await call({ authorization: "Token abc" });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/Bearer <token>/);
  });

  test("a valid token with the permission reaches the handler", async () => {
    const { token: t } = await token("tenant-a", ["viewer"]);
    const r = await call({ authorization: `Bearer ${t}` }, { tenant: "tenant-a" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ who: "agent-42", tenant: "tenant-a" });
  });

  test("a role without the permission → 403 naming permission and roles", async () => {
    const { token: t } = await token("tenant-a", ["agent"]);
    const r = await call({ authorization: `Bearer ${t}` });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/permission rbac.read is required; your roles in tenant-a are: agent/);
  });

  test("a token for tenant A cannot act on tenant B", async () => {
    const { token: t } = await token("tenant-a", ["admin"]);
    const r = await call({ authorization: `Bearer ${t}` }, { tenant: "tenant-b" });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/acts for tenant tenant-a, not tenant-b/);
  });

  test("a revoked token → 401", async () => {
    const minted = await token("tenant-a", ["admin"]);
    const { prisma } = await svc.db();
    await recordToken(prisma, { id: minted.jti, tenantId: "tenant-a", subject: "agent-42", roles: ["admin"], tokenHash: minted.tokenHash, expiresAt: minted.expiresAt });
    await prisma.apiToken.update({ where: { id: minted.jti }, data: { revokedAt: new Date() } });
    const r = await call({ authorization: `Bearer ${minted.token}` });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/revoked/);
  });

  test("handler errors map to the envelope without leaking internals", async () => {
    const failing = withAuth("access.members.list", async () => {
      throw new Error("connection string postgres://secret@db");
    });
    const { token: t } = await token("tenant-a", ["admin"]);
    const res = await failing(new Request("http://test/x", { headers: { authorization: `Bearer ${t}` } }), { params: Promise.resolve({ tenant: "tenant-a" }) });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toMatch(/secret/);
  });

  // The one request parser: ctx.query()/ctx.body() parse with the route's schemas, strict (one rule for unknown fields).
  const listTokens = withAuth("tokens.list", async ({ query }) => query());
  const mintToken = withAuth("tokens.mint", async ({ body }) => body());
  const admin = async () => ({ authorization: `Bearer ${(await token("tenant-a", ["admin"])).token}` });

  test.each([
    ["a known query parameter is parsed with the route's schema", "?limit=5", 200, { limit: 5 }],
    ["an unknown query parameter → 400 naming it", "?limit=5&colour=red", 400, { error: { code: "validation_error", details: [{ path: "colour" }] } }],
    ["a bad value → 400 naming the parameter", "?limit=0", 400, { error: { code: "validation_error", details: [{ path: "limit" }] } }],
  ])("%s", async (_label, search, status, body) => {
    const res = await listTokens(new Request(`http://test/api/admin/tokens${search}`, { headers: await admin() }), { params: Promise.resolve({}) });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject(body);
  });

  test("an unknown body field → 400 naming it", async () => {
    const req = new Request("http://test/api/admin/tokens", { method: "POST", headers: { ...(await admin()), "content-type": "application/json" }, body: JSON.stringify({ subject: "bot", roles: ["viewer"], ttl_seconds: 600, rolez: ["admin"] }) });
    const res = await mintToken(req, { params: Promise.resolve({}) });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.details).toContainEqual({ path: "rolez", message: expect.stringMatching(/unknown field/) });
    expect(body.error.message).toMatch(/rolez: unknown field/);
  });
});
