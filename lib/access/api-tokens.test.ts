import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { DELETE as revokeRoute } from "@/app/api/admin/tokens/[id]/route";
import { GET as listRoute, POST as mintRoute } from "@/app/api/admin/tokens/route";
import { auditSearchQuerySchema } from "@/lib/audit";
import { mintToken } from "@/lib/auth";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { resetEnvForTests } from "@/lib/env";
import { checkMintRequest } from "./api-tokens";

/** The token API through the real route handlers (withAuth, zod, the error envelope) on a fresh database. */

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;
const saved = { ...process.env };

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-tokens-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent", CANOPY_TOKEN_MAX_TTL_SECONDS: "7200" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  for (const t of ["tenant-a", "tenant-b"]) await upsertTenant(db.prisma, t, t);
});
afterAll(async () => {
  await restoreServices();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.env = { ...saved };
  resetEnvForTests();
});

async function cliToken(tenant: string, roles: string[], ttlSeconds = 600, maxTtl?: number) {
  return (await mintToken({ tenant, subject: "root", roles, ttlSeconds, now: Math.floor(Date.now() / 1000) }, svc.tokenKeys, maxTtl)).token;
}

type Route = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function call(route: Route, bearer: string, opts: { method?: string; url?: string; body?: unknown; params?: Record<string, string> } = {}) {
  const res = await route(
    new Request(`http://localhost${opts.url ?? "/api/admin/tokens"}`, {
      method: opts.method ?? "GET",
      headers: { authorization: `Bearer ${bearer}`, ...(opts.body ? { "content-type": "application/json" } : {}) },
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    }),
    { params: Promise.resolve(opts.params ?? {}) },
  );
  return { status: res.status, json: await res.json() };
}

const mint = (bearer: string, body: unknown) => call(mintRoute as Route, bearer, { method: "POST", body });
const list = (bearer: string, query = "") => call(listRoute as Route, bearer, { url: `/api/admin/tokens${query}` });
const revoke = (bearer: string, id: string) => call(revokeRoute as Route, bearer, { method: "DELETE", url: `/api/admin/tokens/${id}`, params: { id } });

describe("POST /api/admin/tokens", () => {
  test("mints for the caller's tenant, recorded and audited at once; the token works and is shown only this once", async () => {
    const admin = await cliToken("tenant-a", ["admin"]);
    const r = await mint(admin, { subject: "agent-7", roles: ["agent", "viewer"], ttl_seconds: 3600, name: "ci runner" });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ tenant: "tenant-a", subject: "agent-7", roles: ["agent", "viewer"], name: "ci runner", created_by: "root", revoked: false, last_used_at: null, token: expect.any(String) });
    expect(Date.parse(r.json.expires_at) - Date.parse(r.json.created_at)).toBeGreaterThan(3590_000);
    // usable at once, with the roles it was given
    expect((await list(r.json.token)).status).toBe(403);
    const rows = (await list(admin)).json.tokens as { id: string }[];
    expect(rows.map((t) => t.id)).toContain(r.json.id);
    const [rec] = (await svc.audit.search("tenant-a", auditSearchQuerySchema.parse({ kind: "token_change", limit: 1 }))).records;
    expect(rec).toMatchObject({ subject: "root", data: { action: "mint", jti: r.json.id, for_subject: "agent-7", roles: ["agent", "viewer"] } });
  });

  test.each([
    ["an unknown role", { subject: "x", roles: ["wizard"], ttl_seconds: 600 }, 400, "validation_error", /roles.0: unknown role; known roles: admin, policy_author, approver, viewer, agent/],
    ["a ttl above CANOPY_TOKEN_MAX_TTL_SECONDS", { subject: "x", roles: ["agent"], ttl_seconds: 7201 }, 400, "bad_request", /ttl 7201 s is longer than the maximum of 7200 s/],
    ["a year-long token", { subject: "x", roles: ["agent"], ttl_seconds: 31_536_000 }, 400, "bad_request", /maximum of 7200 s/],
    ["no roles", { subject: "x", roles: [], ttl_seconds: 600 }, 400, "validation_error", /at least one role/],
    ["no subject", { roles: ["agent"], ttl_seconds: 600 }, 400, "validation_error", /subject/],
    ["a tenant field (tokens are for the caller's tenant)", { subject: "x", roles: ["agent"], ttl_seconds: 600, tenant: "tenant-b" }, 400, "validation_error", /tenant/],
  ])("refuses %s, nothing recorded", async (_label, body, status, code, message) => {
    const admin = await cliToken("tenant-a", ["admin"]);
    const before = await db.prisma.apiToken.count({ where: { subject: "x" } });
    const r = await mint(admin, body);
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await db.prisma.apiToken.count({ where: { subject: "x" } })).toBe(before);
  });

  test("needs tokens.manage", async () => {
    const r = await mint(await cliToken("tenant-a", ["policy_author"]), { subject: "x", roles: ["policy_author"], ttl_seconds: 600 });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/permission tokens.manage is required/);
  });
});

describe("what a mint may grant", () => {
  test.each([
    ["an admin grants any known role", ["admin"], ["approver", "agent"], 600, null],
    ["the operator's CLI grants any known role", "operator" as const, ["admin"], 600, null],
    ["a caller without admin cannot grant a role it lacks", ["policy_author", "viewer"], ["approver"], 600, /you cannot grant roles you do not hold: approver/],
    ["a caller without admin can grant its own roles", ["policy_author", "viewer"], ["viewer"], 600, null],
    ["an unknown role is refused even by the operator", "operator" as const, ["root"], 600, /unknown role: root/],
    ["a ttl over the maximum is refused even for the operator", "operator" as const, ["agent"], 7201, /maximum of 7200 s/],
  ])("%s", (_label, caller, roles, ttl, refusal) => {
    const run = () => checkMintRequest(caller, roles, ttl);
    if (refusal) expect(run).toThrow(refusal);
    else expect(run).not.toThrow();
  });
});

describe("GET /api/admin/tokens", () => {
  test("lists the tenant's tokens newest first, a bounded page at a time, never the token or its hash", async () => {
    const admin = await cliToken("tenant-b", ["admin"]);
    const minted: string[] = [];
    for (let i = 0; i < 5; i++) minted.push((await mint(admin, { subject: `s${i}`, roles: ["agent"], ttl_seconds: 600 })).json.token);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: { tokens: { id: string; created_at: string }[]; next_cursor: string | null } } = await list(admin, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.json.tokens.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.tokens.map((t) => t.id));
      const text = JSON.stringify(page.json);
      for (const t of minted) expect(text).not.toContain(t);
      expect(text).not.toMatch(/token_hash|tokenHash/);
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await db.prisma.apiToken.count({ where: { tenantId: "tenant-b" } }));
    expect((await list(admin, "?limit=201")).status).toBe(400);
    expect((await list(admin, "?cursor=nonsense")).json.error.message).toMatch(/cursor is not a next_cursor/);
  });

  test("another tenant's tokens are never listed", async () => {
    const a = (await list(await cliToken("tenant-a", ["admin"]))).json.tokens as { tenant: string }[];
    expect(a.length).toBeGreaterThan(0);
    expect(a.every((t) => t.tenant === "tenant-a")).toBe(true);
  });
});

describe("DELETE /api/admin/tokens/{id}", () => {
  test("revokes: the very next use is 401; audited; a second revoke changes nothing", async () => {
    const admin = await cliToken("tenant-a", ["admin"]);
    const victim = (await mint(admin, { subject: "agent-9", roles: ["admin"], ttl_seconds: 600 })).json;
    expect((await list(victim.token)).status).toBe(200); // cached as "not revoked" now
    const r = await revoke(admin, victim.id);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ already_revoked: false, token: { id: victim.id, revoked: true, revoked_by: "root" } });
    const next = await list(victim.token);
    expect(next.status).toBe(401);
    expect(next.json.error).toMatchObject({ code: "unauthorized", message: "invalid bearer token: token revoked" });
    const [rec] = (await svc.audit.search("tenant-a", auditSearchQuerySchema.parse({ kind: "token_change", limit: 1 }))).records;
    expect(rec).toMatchObject({ subject: "root", data: { action: "revoke", jti: victim.id, for_subject: "agent-9" } });
    expect((await revoke(admin, victim.id)).json).toMatchObject({ already_revoked: true });
  });

  test("another tenant's token id is 404, and that token keeps working", async () => {
    const adminA = await cliToken("tenant-a", ["admin"]);
    const aToken = (await mint(adminA, { subject: "keeper", roles: ["admin"], ttl_seconds: 600 })).json;
    const r = await revoke(await cliToken("tenant-b", ["admin"]), aToken.id);
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: "not_found", message: `token ${aToken.id} not found in tenant tenant-b (GET /api/admin/tokens lists them)` });
    expect((await db.prisma.apiToken.findUnique({ where: { id: aToken.id } }))!.revokedAt).toBeNull();
    expect((await list(aToken.token)).status).toBe(200);
  });
});

describe("verification of tokens the API would not mint", () => {
  test("a token for a tenant that does not exist is 401", async () => {
    const r = await list(await cliToken("no-such-tenant", ["admin"]));
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "unauthorized", message: expect.stringMatching(/its tenant no-such-tenant does not exist/) });
  });

  test("a token minted to live longer than CANOPY_TOKEN_MAX_TTL_SECONDS is 401 before it expires", async () => {
    const long = await cliToken("tenant-a", ["admin"], 86_400, 366 * 86_400);
    const r = await list(long);
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/minted to live 86400 s, longer than the maximum of 7200 s/);
  });
});
