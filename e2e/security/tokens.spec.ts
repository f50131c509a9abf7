import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { mintToken } from "../../lib/auth/tokens";
import { E2E_DATA_DIR } from "../constants";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, probeCalls, PROBE_POLICY, token, verdictOf } from "./kit";

/**
 * Issue 9 item 12: tokens can be revoked (API and CLI) with immediate effect, live at most
 * CANOPY_TOKEN_MAX_TTL_SECONDS, and are refused for tenants that do not exist.
 */

const DAY = 86_400;

/** The CLI as an operator runs it, against the e2e server's data folder (and its database). */
function canopy(args: string[]) {
  const r = spawnSync(process.execPath, ["cli/canopy.mjs", ...args], { env: { ...process.env, CANOPY_DATA_DIR: E2E_DATA_DIR }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A token signed with the server's own key, bypassing every mint-time check (what an old or forged-by-key-holder token looks like). */
async function serverSigned(tenant: string, ttlSeconds: number) {
  const s = JSON.parse(readFileSync(path.resolve(E2E_DATA_DIR, "secrets.json"), "utf8")) as { jwtPrivateKeyPem: string; jwtPublicKeyPem: string };
  const keys = { privateKeyPem: s.jwtPrivateKeyPem, publicKeyPem: s.jwtPublicKeyPem, issuer: "canopyiq", audience: "canopyiq-api" };
  return (await mintToken({ tenant, subject: "old-agent", roles: ["admin"], ttlSeconds, now: Math.floor(Date.now() / 1000) }, keys, 366 * DAY)).token;
}

async function mintViaApi(request: APIRequestContext, adminToken: string, body: Record<string, unknown>) {
  const res = await request.post("/api/admin/tokens", { headers: bearer(adminToken), data: body });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as { id: string; token: string; tenant: string; subject: string; roles: string[] };
}

test.describe("API tokens", () => {
  // Tokens, tenants and the CLI checks each start the real CLI (a process each): slow on a busy machine.
  test.describe.configure({ timeout: 240_000 });
  test("mint via the API, use it, revoke it: the very next call is 401 and nothing reaches the upstream", async ({ request }) => {
    const T = await newTenant(request, "tok");
    await pinPolicy(request, T, PROBE_POLICY);
    const admin = token(T, "root", "admin");
    const minted = await mintViaApi(request, admin, { subject: "bot-1", roles: ["agent"], ttl_seconds: 600, name: "e2e bot" });
    expect(minted).toMatchObject({ tenant: T, subject: "bot-1", roles: ["agent"] });

    const ok = await mcpCall(request, minted.token, "probe.echo", { message: "before revoke" });
    expect(verdictOf(ok)?.decision, JSON.stringify(ok.body)).toBe("allow");

    const listed = await (await request.get("/api/admin/tokens", { headers: bearer(admin) })).json();
    const row = listed.tokens.find((t: { id: string }) => t.id === minted.id);
    expect(row).toMatchObject({ subject: "bot-1", name: "e2e bot", revoked: false });
    expect(JSON.stringify(listed)).not.toContain(minted.token);

    const del = await request.delete(`/api/admin/tokens/${minted.id}`, { headers: bearer(admin) });
    expect(del.status(), await del.text()).toBe(200);
    expect((await del.json()).token).toMatchObject({ id: minted.id, revoked: true });

    const before = (await probeCalls(request)).total;
    const refused = await request.post("/mcp", {
      headers: { ...bearer(minted.token), "content-type": "application/json", accept: "application/json, text/event-stream" },
      data: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "probe.echo", arguments: { message: "after revoke" } } },
    });
    expect((await expectEnvelope(refused, 401, "unauthorized")).message).toBe("invalid bearer token: token revoked");
    expect((await probeCalls(request)).total).toBe(before);
    await expectEnvelope(await request.get("/api/v1/policy", { headers: bearer(minted.token) }), 401, "unauthorized");
  });

  test("the CLI refuses a year-long token, unknown roles and a tenant that does not exist", async ({ request }) => {
    const T = await newTenant(request, "tok");
    const year = canopy(["mint-token", "--tenant", T, "--subject", "a", "--roles", "agent", "--ttl", "31536000"]);
    expect(year.code).toBe(2);
    expect(year.stderr).toMatch(/--ttl 31536000 s is longer than the maximum of \d+ s \(CANOPY_TOKEN_MAX_TTL_SECONDS\)/);
    expect(year.stdout).toBe("");
    const role = canopy(["mint-token", "--tenant", T, "--subject", "a", "--roles", "agent,superuser"]);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/unknown role: superuser/);
    // With a Postgres server the CLI checks the tenant; on the embedded database it cannot open the
    // server's database, and the server refuses the token on first use (next test).
    if (process.env.DATABASE_URL) {
      const ghost = canopy(["mint-token", "--tenant", `${T}-ghost`, "--subject", "a", "--roles", "agent"]);
      expect(ghost.code).toBe(2);
      expect(ghost.stderr).toMatch(new RegExp(`tenant ${T}-ghost does not exist`));
      expect(ghost.stdout).toBe("");
    }
    // within the limit it works, and the token is recorded at once
    const fine = canopy(["mint-token", "--tenant", T, "--subject", "cli-bot", "--roles", "agent", "--ttl", "7200", "--json"]);
    expect(fine.code, fine.stderr).toBe(0);
    const { jti } = JSON.parse(fine.stdout) as { jti: string };
    if (process.env.DATABASE_URL) {
      const listed = await (await request.get("/api/admin/tokens", { headers: bearer(token(T, "root", "admin")) })).json();
      expect(listed.tokens.map((t: { id: string }) => t.id)).toContain(jti);
    }
  });

  test("a token for a tenant that does not exist, or minted to live longer than the maximum, is 401", async ({ request }) => {
    const ghost = await serverSigned(`ghost-${Date.now()}`, 600);
    const e1 = await expectEnvelope(await request.get("/api/v1/policy", { headers: bearer(ghost) }), 401, "unauthorized");
    expect(e1.message).toMatch(/its tenant ghost-\d+ does not exist/);

    const T = await newTenant(request, "tok");
    const old = await serverSigned(T, 365 * DAY);
    const e2 = await expectEnvelope(await request.get("/api/v1/policy", { headers: bearer(old) }), 401, "unauthorized");
    expect(e2.message).toMatch(new RegExp(`minted to live ${365 * DAY} s, longer than the maximum`));
  });

  test("tenant B can neither list nor revoke tenant A's tokens, and A's token keeps working", async ({ request }) => {
    const A = await newTenant(request, "toka");
    const B = await newTenant(request, "tokb");
    const aToken = await mintViaApi(request, token(A, "root", "admin"), { subject: "a-bot", roles: ["viewer"], ttl_seconds: 600 });
    const bAdmin = token(B, "root", "admin");

    const listB = await (await request.get("/api/admin/tokens?limit=200", { headers: bearer(bAdmin) })).json();
    expect(listB.tokens.map((t: { id: string }) => t.id)).not.toContain(aToken.id);
    expect(listB.tokens.every((t: { tenant: string }) => t.tenant === B)).toBe(true);

    const e = await expectEnvelope(await request.delete(`/api/admin/tokens/${aToken.id}`, { headers: bearer(bAdmin) }), 404, "not_found");
    expect(e.message).toBe(`token ${aToken.id} not found in tenant ${B} (GET /api/admin/tokens lists them)`);
    // the alias path too
    await expectEnvelope(await request.delete(`/admin/tokens/${aToken.id}`, { headers: bearer(bAdmin) }), 404, "not_found");

    expect((await request.get("/api/v1/policy/versions", { headers: bearer(aToken.token) })).status()).toBe(200);
    const listA = await (await request.get("/api/admin/tokens", { headers: bearer(token(A, "root", "admin")) })).json();
    expect(listA.tokens.find((t: { id: string }) => t.id === aToken.id)).toMatchObject({ revoked: false });
  });

  test("`canopy tokens revoke` reaches the running server at once (Redis pub/sub)", async ({ request }) => {
    test.skip(!process.env.DATABASE_URL || !process.env.REDIS_URL, "the CLI shares the server's database and Redis only when both are servers");
    const T = await newTenant(request, "tok");
    const minted = await mintViaApi(request, token(T, "root", "admin"), { subject: "cli-victim", roles: ["viewer"], ttl_seconds: 600 });
    // used once, so the server holds "not revoked" in its cache
    expect((await request.get("/api/v1/policy/versions", { headers: bearer(minted.token) })).status()).toBe(200);

    const list = canopy(["tokens", "list", "--tenant", T, "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).tokens.map((t: { id: string }) => t.id)).toContain(minted.id);
    const wrong = canopy(["tokens", "revoke", minted.id, "--tenant", `${T}-other`]);
    expect(wrong.code).toBe(1);
    expect((await request.get("/api/v1/policy/versions", { headers: bearer(minted.token) })).status()).toBe(200);

    const revoked = canopy(["tokens", "revoke", minted.id, "--tenant", T]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`revoked token ${minted.id}`));
    await expectEnvelope(await request.get("/api/v1/policy/versions", { headers: bearer(minted.token) }), 401, "unauthorized");
  });
});
