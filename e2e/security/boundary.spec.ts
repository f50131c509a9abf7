import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type APIRequestContext, expect, request as playwrightRequest, test } from "@playwright/test";
import { adminQuery } from "../../lib/db/admin-query";
import { E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_LOGIN_THROTTLE_WINDOW_SECONDS } from "../constants";
import { approvalsOf, auditRecords, tok } from "./http-kit";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, PLATFORM_TENANT, PROBE_POLICY, probeCalls, resultText, verdictOf } from "./kit";

/**
 * Issue 9 item 14, against the real server: ids that are not ids, unsupported methods, a database
 * that refuses approval writes, audit write health, agent notes' trace ids, console sign-in
 * throttling and the CSRF check on cookie-authenticated writes.
 */

const DATABASE_URL = process.env.DATABASE_URL;

/** One statement on the e2e server's own Postgres database (the tests that need it say so in their skip). */
const sql = (text: string) => adminQuery(DATABASE_URL!, text);

test.describe("JSON-RPC ids: a notification is a message without an id member", () => {
  for (const [label, id] of [
    ["an object", {}],
    ["an array", [1]],
    ["a boolean", true],
    ["null", null],
  ] as const) {
    test(`id as ${label} with tools/call: -32600 invalid request, the call never runs`, async ({ request }) => {
      const tenant = await newTenant(request, "ids");
      await pinPolicy(request, tenant, PROBE_POLICY);
      const before = (await probeCalls(request)).total;
      const res = await request.post("/mcp", {
        headers: { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" },
        data: { jsonrpc: "2.0", id, method: "tools/call", params: { name: "probe.echo", arguments: { message: "hi" } } },
      });
      expect(res.status()).toBe(200);
      expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringMatching(/"id" must be a string or a number/) } });
      expect((await probeCalls(request)).total).toBe(before);
      expect(await auditRecords(request, tenant, { kind: "tool_decision" })).toEqual([]);
    });
  }
});

test.describe("unsupported HTTP methods", () => {
  const API = path.resolve("app/api");
  const routeFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? routeFiles(p) : name === "route.ts" ? [p] : [];
    });
  const routes = routeFiles(API)
    .filter((f) => !f.includes("[...path]"))
    .map((file) => {
      const src = readFileSync(file, "utf8");
      const allowed = [...(src.match(/methodsNotAllowed\(([^)]*)\)/)?.[1].matchAll(/"(\w+)"/g) ?? [])].map((m) => m[1]);
      const url = `/api/${path
        .relative(API, path.dirname(file))
        .split(path.sep)
        .map((s) => s.replace(/^\[\.\.\.\w+\]$/, "x/y").replace(/^\[(\w+)\]$/, "sample-$1"))
        .join("/")}`;
      return { file: path.relative(".", file), url, allowed };
    });

  test("every API route answers every method it does not implement with 405, the error envelope and Allow", async ({ request }) => {
    expect(routes.length).toBeGreaterThan(25);
    let checked = 0;
    for (const r of routes) {
      expect(r.allowed.length, `${r.file} exports its remaining methods with methodsNotAllowed(...)`).toBeGreaterThan(0);
      const expectedAllow = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].filter((m) => r.allowed.includes(m) || m === "OPTIONS" || (m === "HEAD" && r.allowed.includes("GET")));
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !r.allowed.includes(m))) {
        const res = await request.fetch(r.url, { method, headers: { "content-type": "application/json" }, data: method === "GET" ? undefined : "{}" });
        const err = await expectEnvelope(res, 405, "method_not_allowed");
        expect(err.message).toContain(`${method} is not supported on ${r.url}`);
        expect(res.headers().allow, `${method} ${r.url}`).toBe(expectedAllow.join(", "));
        checked++;
      }
      const options = await request.fetch(r.url, { method: "OPTIONS" });
      expect(options.status(), `OPTIONS ${r.url}`).toBe(204);
      expect(options.headers().allow).toBe(expectedAllow.join(", "));
    }
    expect(checked).toBeGreaterThan(80);
  });

  test("the seed aliases answer the same way (DELETE /health, PUT /mcp)", async ({ request }) => {
    const health = await request.delete("/health");
    await expectEnvelope(health, 405, "method_not_allowed");
    expect(health.headers().allow).toBe("GET, HEAD, OPTIONS");
    const mcp = await request.put("/mcp", { headers: { "content-type": "application/json" }, data: "{}" });
    await expectEnvelope(mcp, 405, "method_not_allowed");
    expect(mcp.headers().allow).toBe("GET, HEAD, POST, DELETE, OPTIONS");
  });
});

test.describe("a database that refuses writes", () => {
  test.skip(!DATABASE_URL, "needs the e2e server on Postgres (DATABASE_URL) to make its tables refuse writes");

  test("a call needing approval while approvals cannot be stored: a fail-closed deny (approvals_unavailable), audited, never run", async ({ request }) => {
    const tenant = await newTenant(request, "ro");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = (await probeCalls(request)).total;
    const fn = `refuse_${tenant.replace(/-/g, "_")}`;
    await sql(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tenant_id = '${tenant}' THEN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = '25006'; END IF; RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER ${fn} BEFORE INSERT ON approvals FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const a = await mcpCall(request, tok(tenant, "agent-1", "agent"), "probe.write", { path: "/etc/hosts", content: "x" });
      expect(a.status).toBe(200);
      expect(a.body.result?.isError).toBe(true);
      const v = verdictOf(a) as Record<string, unknown>;
      expect(v).toMatchObject({ decision: "deny", rule: "probe writes need two secops approvers", error: { code: "approvals_unavailable" } });
      expect(String(v.reason)).toMatch(/the approval request could not be stored \(.*read-only.*\), so the call is refused/);
      expect(resultText(a)).not.toMatch(/\/(home|srv|work|usr)\//);
      expect((await probeCalls(request)).total).toBe(before);
      expect(await approvalsOf(request, tenant)).toEqual([]);
      const [record] = await auditRecords(request, tenant, { kind: "tool_decision" });
      expect(record).toMatchObject({ decision: "deny", tool: "probe.write", data: { error: { code: "approvals_unavailable" } } });
    } finally {
      await sql(`DROP TRIGGER ${fn} ON approvals`);
      await sql(`DROP FUNCTION ${fn}()`);
    }
  });

  test("/api/health reports failing audit writes (503, checks.audit.ok false) until a write succeeds again", async ({ request }) => {
    const tenant = await newTenant(request, "ro");
    await pinPolicy(request, tenant, PROBE_POLICY);
    expect((await request.get("/api/health")).status()).toBe(200);
    const before = (await probeCalls(request)).total;
    const fn = `refuse_audit_${tenant.replace(/-/g, "_")}`;
    await sql(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tenant_id = '${tenant}' THEN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = '25006'; END IF; RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER ${fn} BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const a = await mcpCall(request, tok(tenant, "agent-1", "agent"), "probe.echo", { message: "hi" });
      expect(verdictOf(a)).toMatchObject({ decision: "deny" });
      expect((verdictOf(a) as { error?: { code: string } }).error?.code).toBe("audit_unavailable");
      expect((await probeCalls(request)).total).toBe(before);
      const health = await request.get("/api/health");
      expect(health.status()).toBe(503);
      const body = await health.json();
      expect(body.status).toBe("degraded");
      expect(body.checks.audit).toMatchObject({ ok: false, error: expect.stringMatching(/latest audit write failed/), last_failure_at: expect.any(String) });
      expect(body.checks.db.ok).toBe(true);
    } finally {
      await sql(`DROP TRIGGER ${fn} ON audit_records`);
      await sql(`DROP FUNCTION ${fn}()`);
    }
    // The next write that succeeds makes the log (and the service) healthy again.
    expect(verdictOf(await mcpCall(request, tok(tenant, "agent-1", "agent"), "probe.echo", { message: "again" }))).toMatchObject({ decision: "allow" });
    const healthy = await request.get("/api/health");
    expect(healthy.status()).toBe(200);
    expect((await healthy.json()).checks.audit).toMatchObject({ ok: true });
  });
});

test.describe("agent notes cannot claim another call's trace id", () => {
  test("a note gets its own trace id; a trace_id is kept as refers_to only for the caller's own calls (403 otherwise, nothing written)", async ({ request }) => {
    const tenant = await newTenant(request, "note");
    const other = await newTenant(request, "note");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const call = await mcpCall(request, tok(tenant, "agent-1", "agent"), "probe.echo", { message: "refund" });
    const traceId = verdictOf(call)!.trace_id;
    // The call's outcome record commits just after its answer (deferred, ≤ 50 ms): wait for it, so
    // "nothing written" below counts only what the refused notes could have written.
    await expect.poll(async () => (await auditRecords(request, tenant, { trace_id: traceId })).map((r) => r.kind).sort()).toEqual(["tool_decision", "tool_result"]);
    const note = (t: string, subject: string, data: Record<string, unknown>) => request.post("/api/v1/audit", { headers: bearer(tok(t, subject, "agent")), data });

    for (const [t, subject] of [
      [tenant, "agent-2"],
      [other, "agent-1"],
    ]) {
      const before = (await auditRecords(request, t)).length;
      const err = await expectEnvelope(await note(t, subject, { action: "cover-up", note: "all fine", trace_id: traceId }), 403, "trace_not_yours");
      expect(err.message).toMatch(/a note may refer only to your own calls/);
      expect((await auditRecords(request, t)).length).toBe(before);
    }

    const own = await note(tenant, "agent-1", { action: "refund.create", trace_id: traceId });
    expect(own.status(), await own.text()).toBe(201);
    const { record } = await own.json();
    expect(record.trace_id).not.toBe(traceId);
    expect(record.data.refers_to).toBe(traceId);
    // Searching the call's trace id finds the call only, never a note posing as part of it.
    expect((await auditRecords(request, tenant, { trace_id: traceId })).map((r) => r.kind).sort()).toEqual(["tool_decision", "tool_result"]);
  });
});

// ------------------------------------------------------------------------------------------------
// Console sessions: sign-in through next-auth's credentials endpoint, as the login page does.

async function signInOverHttp(baseURL: string, email: string, password: string, address: string): Promise<{ ok: boolean; ctx: APIRequestContext }> {
  const ctx = await playwrightRequest.newContext({ baseURL });
  const { csrfToken } = await (await ctx.get("/api/auth/csrf")).json();
  const res = await ctx.post("/api/auth/callback/credentials", {
    form: { csrfToken, email, password, json: "true", callbackUrl: `${baseURL}/` },
    headers: { "x-forwarded-for": address },
    maxRedirects: 0,
  });
  // next-auth answers 200 with the callback URL, or 401 with ?error=CredentialsSignin: the same for every refusal.
  expect([200, 401], await res.text()).toContain(res.status());
  const ok = (await ctx.storageState()).cookies.some((c) => /next-auth\.session-token/.test(c.name));
  return { ok, ctx };
}

test.describe("CSRF: console-session writes must come from this site", () => {
  test("a cookie-authenticated POST from another origin (or none) is 403 csrf_rejected and changes nothing; same-origin works; bearer tokens are unaffected", async ({ request, baseURL }) => {
    const { ok, ctx } = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, "192.0.2.10");
    expect(ok).toBe(true);
    const notes = async () => (await auditRecords(request, PLATFORM_TENANT, { kind: "agent_note" })).length;
    const before = await notes();
    const forged: Record<string, string>[] = [{ origin: "https://evil.example" }, {}, { origin: baseURL!, "sec-fetch-site": "cross-site" }, { referer: "https://evil.example/page" }];
    for (const headers of forged) {
      const err = await expectEnvelope(await ctx.post("/api/v1/audit", { headers, data: { action: "forged", note: "from another site" } }), 403, "csrf_rejected");
      expect(err.message).toMatch(/^cross-site request refused/);
    }
    expect(await notes()).toBe(before);
    const same = await ctx.post("/api/v1/audit", { headers: { origin: baseURL! }, data: { action: "console.note", note: "same origin" } });
    expect(same.status(), await same.text()).toBe(201);
    // The same cross-origin write with a bearer token (no cookie) is not a CSRF case.
    const withToken = await request.post("/api/v1/audit", { headers: { ...bearer(tok(PLATFORM_TENANT, "agent-9", "agent")), origin: "https://evil.example" }, data: { action: "agent.note" } });
    expect(withToken.status()).toBe(201);
    expect(await notes()).toBe(before + 2);
    await ctx.dispose();
  });
});

test.describe("console sign-in throttling", () => {
  test("50 failures from one address lock that address out (even with the right password); another address still signs in", async ({ baseURL }) => {
    const address = "203.0.113.77";
    for (let i = 0; i < 50; i++) {
      const { ok, ctx } = await signInOverHttp(baseURL!, `nobody-${i}@example.com`, "wrong", address);
      expect(ok).toBe(false);
      await ctx.dispose();
    }
    const blocked = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, address);
    expect(blocked.ok).toBe(false);
    await blocked.ctx.dispose();
    const elsewhere = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, "203.0.113.78");
    expect(elsewhere.ok).toBe(true);
    await elsewhere.ctx.dispose();
  });

  test("10 failures for one login: the right password is refused with the same generic answer, audited once; the window ends", async ({ request, baseURL }) => {
    test.setTimeout(120_000);
    for (let i = 0; i < 10; i++) {
      const { ok, ctx } = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, `wrong-${i}`, `198.51.100.${i + 1}`);
      expect(ok).toBe(false);
      await ctx.dispose();
    }
    const refused = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, "198.51.100.200");
    expect(refused.ok).toBe(false);
    await refused.ctx.dispose();
    const records = await auditRecords(request, PLATFORM_TENANT, { kind: "login", decision: "deny" });
    expect(records.filter((r) => /throttled/.test(r.reason ?? "") && r.subject === "admin" && r.data?.throttled === "login").length).toBeGreaterThanOrEqual(1);
    // The window (E2E_LOGIN_THROTTLE_WINDOW_SECONDS on the e2e server) ends: the right password works again.
    const started = Date.now();
    let ok = false;
    while (!ok && Date.now() - started < (E2E_LOGIN_THROTTLE_WINDOW_SECONDS + 15) * 1000) {
      await new Promise((r) => setTimeout(r, 3000));
      const attempt = await signInOverHttp(baseURL!, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, "198.51.100.201");
      ok = attempt.ok;
      await attempt.ctx.dispose();
    }
    expect(ok).toBe(true);
  });
});
