import { randomBytes } from "node:crypto";
import { expect, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { bearer, mcpCall, newTenant, pinPolicy, putMember, slackApiCalls, slackClick, slackHomeOpened, token, verdictOf } from "./kit";

/**
 * Issue 9: one tenant never sees or changes another's data — for EVERY route of the OpenAPI
 * document. Tenant A holds a policy, members, an approval, quotas and audit records, each carrying
 * a marker; tenant B's admin (every permission) attacks each operation with A's identifiers. No
 * answer may carry A's markers, and A's state, read by A, is the same before and after. A route
 * added to the API without a case here fails the first test.
 */

interface World {
  a: string;
  b: string;
  marker: string;
  /** Strings only tenant A's data holds (the marker in its policy, arguments and notes; its Slack link). */
  secrets: string[];
  aAdmin: string;
  bAdmin: string;
  bAgent: string;
  approvalId: string;
  versionId: number;
  /** A token minted in A through the API: B may neither list nor revoke it. */
  aTokenId: string;
  aToken: string;
  /** A's policy test case (its name holds the marker). */
  aTestCaseId: number;
  /** A's agent (a token already seen, so using it changes nothing) and its MCP session. */
  aAgent: string;
  aSession: string;
}

type Attack = (request: APIRequestContext, w: World) => Promise<APIResponse | APIResponse[]>;

/** Each case returns B's answers; the runner checks none reveals A. Cases assert their own statuses. */
const refused = (res: APIResponse, ...statuses: number[]) => {
  expect(statuses, `${res.url()} → ${res.status()}`).toContain(res.status());
  return res;
};

/** A's ops target (its name holds the marker); B attacks A's id with an `x` suffix that only A holds, and creates one of A's plain id as its own. */
const A_TARGET = "iso-web";
const opsTarget = (name: string) => ({ id: A_TARGET, name, backend: "ssh", address: "10.0.0.5", role: "production", credential_ref: "WEB_KEY", options: { username: "deploy" } });

const json = () => ({ "content-type": "application/json", accept: "application/json" });

/** A fresh MCP session (initialize) for `agentToken`: its Mcp-Session-Id. */
async function mcpSession(r: APIRequestContext, agentToken: string): Promise<string> {
  const res = await r.post("/mcp", {
    headers: { ...bearer(agentToken), ...json() },
    data: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "isolation", version: "1" } } },
  });
  expect(res.status(), await res.text()).toBe(200);
  return res.headers()["mcp-session-id"]!;
}

const CASES: Record<string, Attack> = {
  "GET /api/health": async (r) => r.get("/api/health"),
  "GET /api/openapi.json": async (r) => r.get("/api/openapi.json"),
  "GET /api/metrics": async (r, w) => r.get("/api/metrics", { headers: bearer(w.bAdmin) }),

  "POST /api/v1/policy/validate": async (r, w) => r.post("/api/v1/policy/validate", { headers: { ...bearer(w.bAdmin), "content-type": "text/yaml" }, data: "version: 1\nrules: []\n" }),
  "POST /api/v1/policy/simulate": async (r, w) => [
    refused(await r.post("/api/v1/policy/simulate", { headers: bearer(w.bAdmin), data: { tool: "probe.write", arguments: {}, tenant: w.a } }), 403),
    await r.post("/api/v1/policy/simulate", { headers: bearer(w.bAdmin), data: { tool: "probe.write", arguments: {} } }),
  ],
  "GET /api/v1/policy/validate": async (r, w) => r.get("/api/v1/policy/validate", { headers: bearer(w.bAdmin) }),
  "GET /api/v1/policy": async (r, w) => r.get("/api/v1/policy", { headers: bearer(w.bAdmin) }),
  "POST /api/v1/policy/migrate": async (r, w) => r.post("/api/v1/policy/migrate", { headers: { ...bearer(w.bAdmin), "content-type": "text/yaml" }, data: "max_refund_cents: 100\nallow_tools: [a]\n" }),
  "POST /api/v1/policy/diff": async (r, w) => [
    await r.post("/api/v1/policy/diff", { headers: bearer(w.bAdmin), data: { proposed: "version: 1\nrules: []\n" } }),
    refused(await r.post("/api/v1/policy/diff", { headers: bearer(w.bAdmin), data: { version: w.versionId } }), 400, 404),
  ],
  "POST /api/v1/policy/apply": async (r, w) => [
    refused(await r.post("/api/v1/policy/apply", { headers: bearer(w.bAdmin), data: { strategy: "explicit", tenants_csv: w.a, policy: "version: 1\nrules: []\n" } }), 403),
    refused(await r.post("/api/v1/policy/apply", { headers: bearer(w.bAdmin), data: { strategy: "explicit", tenants_csv: w.b, version: w.versionId } }), 404),
  ],
  "GET /api/v1/policy/versions": async (r, w) => r.get("/api/v1/policy/versions?limit=200", { headers: bearer(w.bAdmin) }),
  "POST /api/v1/policy/rollback": async (r, w) => refused(await r.post("/api/v1/policy/rollback", { headers: bearer(w.bAdmin), data: { version: w.versionId } }), 404),
  "POST /api/v1/policy/simulate/batch": async (r, w) => [
    refused(await r.post("/api/v1/policy/simulate/batch", { headers: bearer(w.bAdmin), data: { calls: [{ tool: "probe.write", tenant: w.a }] } }), 403),
    refused(await r.post("/api/v1/policy/simulate/batch", { headers: bearer(w.bAdmin), data: { calls: [{ tool: "probe.write" }, { tool: "probe.echo" }] } }), 200),
  ],
  "POST /api/v1/policy/promote": async (r, w) => refused(await r.post("/api/v1/policy/promote", { headers: bearer(w.bAdmin), data: {} }), 403),
  "GET /api/v1/policy/versions/{id}/yaml": async (r, w) => [
    refused(await r.get(`/api/v1/policy/versions/${w.versionId}/yaml`, { headers: bearer(w.bAdmin) }), 404),
    refused(await r.get("/api/v1/policy/versions/abc/yaml", { headers: bearer(w.bAdmin) }), 400),
  ],
  "GET /api/v1/policy/test-cases": async (r, w) => refused(await r.get("/api/v1/policy/test-cases", { headers: bearer(w.bAdmin) }), 200),
  "POST /api/v1/policy/test-cases": async (r, w) => [
    refused(await r.post("/api/v1/policy/test-cases", { headers: bearer(w.bAdmin), data: { name: "b's case", tenant: w.a, call: { tool: "probe.write" }, expected: { decision: "deny" } } }), 403),
    refused(await r.post("/api/v1/policy/test-cases", { headers: bearer(w.bAdmin), data: { name: "b's platform case", scope: "platform", call: { tool: "probe.write" }, expected: { decision: "deny" } } }), 403),
  ],
  "PUT /api/v1/policy/test-cases/{id}": async (r, w) =>
    refused(await r.put(`/api/v1/policy/test-cases/${w.aTestCaseId}`, { headers: bearer(w.bAdmin), data: { name: "taken over", call: { tool: "x" }, expected: { decision: "allow" } } }), 404),
  "DELETE /api/v1/policy/test-cases/{id}": async (r, w) => refused(await r.delete(`/api/v1/policy/test-cases/${w.aTestCaseId}`, { headers: bearer(w.bAdmin) }), 404),
  "GET /api/v1/policy/draft": async (r, w) => refused(await r.get("/api/v1/policy/draft", { headers: bearer(w.bAdmin) }), 404),
  "PUT /api/v1/policy/draft": async (r, w) => refused(await r.put("/api/v1/policy/draft", { headers: bearer(w.bAdmin), data: { text: "version: 1\n" } }), 200),
  "DELETE /api/v1/policy/draft": async (r, w) => refused(await r.delete("/api/v1/policy/draft", { headers: bearer(w.bAdmin) }), 200),
  "POST /api/v1/policy/sign": async (r, w) => refused(await r.post("/api/v1/policy/sign", { headers: bearer(w.bAdmin), data: { policy: "version: 1\nrules: []\n" } }), 403),

  "POST /api/mcp": async (r, w) => {
    const answer = await mcpCall(r, w.bAgent, "probe.write", { path: "/x", content: "y" }, { approval_id: w.approvalId });
    expect(verdictOf(answer)?.decision).not.toBe("allow");
    return r.post("/mcp", { headers: { ...bearer(w.bAgent), ...json() }, data: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
  },
  // A's MCP session (the signed id binds tenant and subject): B can neither listen on it nor end it.
  "GET /api/mcp": async (r, w) => {
    const res = refused(await r.get("/mcp", { headers: { ...bearer(w.bAgent), accept: "text/event-stream", "mcp-session-id": w.aSession } }), 404);
    expect((await res.json()).error.code).toBe("session_not_found");
    return res;
  },
  "DELETE /api/mcp": async (r, w) => {
    const res = refused(await r.delete("/mcp", { headers: { ...bearer(w.bAgent), "mcp-session-id": w.aSession } }), 404);
    // A's session was not ended by B's attempt.
    const still = await r.post("/mcp", { headers: { ...bearer(w.aAgent), ...json(), "mcp-session-id": w.aSession }, data: { jsonrpc: "2.0", id: 2, method: "ping" } });
    expect(still.status()).toBe(200);
    return res;
  },
  "POST /api/v1/guard/check": async (r, w) => r.post("/api/v1/guard/check", { headers: bearer(w.bAdmin), data: { tool: "probe.write", arguments: { path: "/x" }, approval_id: w.approvalId } }),
  "POST /api/v1/guard/enforce": async (r, w) => {
    const res = await r.post("/api/v1/guard/enforce", { headers: bearer(w.bAgent), data: { tool: "probe.write", arguments: { path: "/x", content: "y" }, approval_id: w.approvalId } });
    expect((await res.json()).decision).not.toBe("allow");
    return res;
  },

  "POST /api/approvals/create": async (r, w) => refused(await r.post("/approvals/create", { headers: bearer(w.bAdmin), data: { tenant: w.a, subject: "agent-x", tool: "probe.write", args: {} } }), 403),
  "POST /api/approvals/slack/callback": async (r, w) => {
    const res = await slackClick(r, "UB0ISOL01", "approve", w.approvalId);
    expect(res.status()).toBe(200);
    return res;
  },
  "POST /api/approvals/slack/events": async (r, w) => {
    // B's own approver opens the App Home: what Slack is asked to show holds none of A's approvals.
    expect((await putMember(r, w.b, "b-home", { roles: ["approver"], groups: ["secops"], slack_user_id: "UB0HOME01" }, w.bAdmin)).status()).toBe(200);
    const res = await slackHomeOpened(r, "UB0HOME01");
    expect(res.status()).toBe(200);
    await expect.poll(async () => (await slackApiCalls(r, "views.publish")).filter((c) => c.body.user_id === "UB0HOME01").length).toBeGreaterThan(0);
    const published = JSON.stringify((await slackApiCalls(r, "views.publish")).filter((c) => c.body.user_id === "UB0HOME01"));
    for (const secret of [w.approvalId, ...w.secrets]) expect(published).not.toContain(secret);
    return res;
  },
  "POST /api/v1/approvals": async (r, w) => {
    const res = await r.post("/api/v1/approvals", { headers: bearer(w.bAgent), data: { agent: "agent-b", action: "probe.write", context: {} } });
    expect((await res.json()).tenant).toBe(w.b);
    return res;
  },
  "GET /api/v1/approvals": async (r, w) => [
    refused(await r.get(`/api/v1/approvals?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
    await r.get("/api/v1/approvals?limit=200", { headers: bearer(w.bAdmin) }),
  ],
  "GET /api/v1/approvals/{id}": async (r, w) => refused(await r.get(`/api/v1/approvals/${w.approvalId}`, { headers: bearer(w.bAdmin) }), 404),
  "POST /api/v1/approvals/{id}/approve": async (r, w) =>
    refused(await r.post(`/api/v1/approvals/${w.approvalId}/approve`, { headers: bearer(token(w.b, "a1", "approver")), data: { decision: "approved", approver: "a1", signature: "0".repeat(64) } }), 404),
  "POST /api/v1/approvals/{id}/verify": async (r, w) => refused(await r.post(`/api/v1/approvals/${w.approvalId}/verify`, { headers: bearer(w.bAdmin), data: { signature: "0".repeat(64) } }), 404),
  "POST /api/v1/approvals/{id}/code": async (r, w) => refused(await r.post(`/api/v1/approvals/${w.approvalId}/code`, { headers: bearer(w.bAdmin) }), 404),
  "GET /api/v1/approvals/{id}/wait": async (r, w) => refused(await r.get(`/api/v1/approvals/${w.approvalId}/wait?timeout=0`, { headers: bearer(w.bAdmin) }), 404),
  "POST /api/approvals/complete": async (r, w) =>
    refused(await r.post("/api/approvals/complete", { headers: bearer(w.bAgent), data: { dry_run_id: w.approvalId, approval_code: "AAAAA-AAAAA" } }), 404),

  "PUT /api/admin/rbac/{tenant}/users/{user}": async (r, w) => [
    refused(await putMember(r, w.a, "a1", { roles: ["admin"] }, w.bAdmin), 403),
    await putMember(r, w.b, "a1", { roles: ["approver"], groups: ["secops"], slack_user_id: "UB0ISOL01" }, w.bAdmin),
    refused(await putMember(r, w.b, "a1", { roles: ["approver"], email: "x@evil.example" }, w.bAdmin), 403),
  ],
  "GET /api/admin/rbac/{tenant}/users/{user}": async (r, w) => [
    refused(await r.get(`/api/admin/rbac/${w.a}/users/a1`, { headers: bearer(w.bAdmin) }), 403),
    await r.get(`/api/admin/rbac/${w.b}/users/a1`, { headers: bearer(w.bAdmin) }),
  ],
  "GET /api/admin/rbac/{tenant}/users": async (r, w) => [
    refused(await r.get(`/api/admin/rbac/${w.a}/users`, { headers: bearer(w.bAdmin) }), 403),
    await r.get(`/api/admin/rbac/${w.b}/users`, { headers: bearer(w.bAdmin) }),
  ],
  "DELETE /api/admin/rbac/{tenant}/users/{user}": async (r, w) => [
    refused(await r.delete(`/api/admin/rbac/${w.a}/users/a1`, { headers: bearer(w.bAdmin) }), 403),
    refused(await r.delete(`/api/admin/rbac/${w.a}/users/root`, { headers: bearer(w.bAdmin) }), 403),
  ],
  "POST /api/admin/rbac/{tenant}/invitations": async (r, w) => [
    refused(await r.post(`/api/admin/rbac/${w.a}/invitations`, { headers: bearer(w.bAdmin), data: { email: `intruder-${w.marker.toLowerCase()}@example.com`, roles: ["admin"] } }), 403),
    // B may link its own placeholder member, never A's user a1 (a1 is a member of A too).
    refused(await r.post(`/api/admin/rbac/${w.b}/invitations`, { headers: bearer(w.bAdmin), data: { email: "a1-takeover@example.com", roles: ["viewer"], user: "a1" } }), 403),
  ],
  "POST /api/invitations/accept": async (r) => refused(await r.post("/api/invitations/accept", { data: { token: "A".repeat(43), password: "a-long-enough-password" } }), 404),
  // Tokens never act on a person's own account (console sessions only), whoever they name.
  "GET /api/account": async (r, w) => refused(await r.get("/api/account", { headers: bearer(token(w.b, "a1", "admin")) }), 403),
  "PUT /api/account": async (r, w) => refused(await r.put("/api/account", { headers: bearer(token(w.b, "a1", "admin")), data: { name: "taken over" } }), 403),
  "PUT /api/admin/tenants/{tenant}/quotas": async (r, w) => refused(await r.put(`/api/admin/tenants/${w.a}/quotas`, { headers: bearer(w.bAdmin), data: { requests_per_minute: 1 } }), 403),
  "GET /api/admin/tenants/{tenant}/quotas": async (r, w) => refused(await r.get(`/api/admin/tenants/${w.a}/quotas`, { headers: bearer(w.bAdmin) }), 403),
  "POST /api/admin/tenants": async (r, w) => refused(await r.post("/api/admin/tenants", { headers: bearer(w.bAdmin), data: { id: `${w.a}-twin` } }), 403),
  "GET /api/admin/tenants": async (r, w) => {
    const res = await r.get("/api/admin/tenants", { headers: bearer(w.bAdmin) });
    expect((await res.json()).tenants.map((t: { id: string }) => t.id)).toEqual([w.b]);
    return res;
  },
  "PATCH /api/admin/tenants": async (r, w) => [
    refused(await r.patch("/api/admin/tenants", { headers: bearer(w.bAdmin), data: { id: w.a, suspended: true } }), 403),
    refused(await r.patch("/api/admin/tenants", { headers: bearer(w.bAdmin), data: { id: w.a, name: "renamed by b" } }), 403),
  ],
  "GET /api/admin/tenants/{tenant}/activity": async (r, w) => [
    refused(await r.get(`/api/admin/tenants/${w.a}/activity`, { headers: bearer(w.bAdmin) }), 403),
    await r.get(`/api/admin/tenants/${w.b}/activity`, { headers: bearer(w.bAdmin) }),
  ],
  "GET /api/admin/upstreams": async (r, w) => [
    refused(await r.get(`/api/admin/upstreams?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
    await r.get("/api/admin/upstreams", { headers: bearer(w.bAdmin) }),
  ],
  "PUT /api/admin/upstreams/{name}": async (r, w) =>
    refused(await r.put(`/api/admin/upstreams/tickets?tenant=${w.a}`, { headers: bearer(w.bAdmin), data: { transport: "http", url: "https://tickets.example.com/mcp" } }), 403),
  "DELETE /api/admin/upstreams/{name}": async (r, w) => refused(await r.delete(`/api/admin/upstreams/tickets?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),

  "POST /api/admin/tokens": async (r, w) => {
    const res = await r.post("/api/admin/tokens", { headers: bearer(w.bAdmin), data: { subject: "agent-b2", roles: ["agent"], ttl_seconds: 600 } });
    expect(res.status()).toBe(201);
    refused(await r.post("/api/admin/tokens", { headers: bearer(w.bAdmin), data: { subject: "x", roles: ["agent"], ttl_seconds: 600, tenant: w.a } }), 400);
    return res;
  },
  "GET /api/admin/tokens": async (r, w) => {
    const res = await r.get("/api/admin/tokens?limit=200", { headers: bearer(w.bAdmin) });
    expect(JSON.stringify(await res.json())).not.toContain(w.aTokenId);
    return res;
  },
  "DELETE /api/admin/tokens/{id}": async (r, w) => refused(await r.delete(`/api/admin/tokens/${w.aTokenId}`, { headers: bearer(w.bAdmin) }), 404),

  "GET /api/v1/audit": async (r, w) => [
    refused(await r.get(`/api/v1/audit?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
    await r.get(`/api/v1/audit?limit=500&q=${w.marker}`, { headers: bearer(w.bAdmin) }),
    await r.get(`/api/v1/audit?limit=500&approval_id=${w.approvalId}`, { headers: bearer(w.bAdmin) }),
  ],
  "POST /api/v1/audit": async (r, w) => r.post("/api/v1/audit", { headers: bearer(w.bAgent), data: { action: "note", note: "b's note" } }),
  "GET /api/v1/audit/verify": async (r, w) => refused(await r.get(`/api/v1/audit/verify?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
  "GET /api/v1/audit/export": async (r, w) => [
    refused(await r.get(`/api/v1/audit/export?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
    await r.get(`/api/v1/audit/export?approval_id=${w.approvalId}`, { headers: bearer(w.bAdmin) }),
  ],
  "GET /api/v1/audit/checkpoints": async (r, w) => refused(await r.get(`/api/v1/audit/checkpoints?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),

  "GET /.well-known/oauth-protected-resource": async (r) => r.get("/.well-known/oauth-protected-resource"),
  "GET /api/v1/dashboard": async (r, w) => [
    refused(await r.get(`/api/v1/dashboard?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403, 404),
    await r.get("/api/v1/dashboard", { headers: bearer(w.bAdmin) }),
  ],
  "GET /api/ops/targets": async (r, w) => {
    const res = refused(await r.get("/api/ops/targets", { headers: bearer(w.bAdmin) }), 200);
    expect(JSON.stringify(await res.json())).not.toContain(`${A_TARGET}x`);
    return res;
  },
  // B may hold a target of the same id: its own, in its own tenant (A's is untouched).
  "POST /api/ops/targets": async (r, w) => refused(await r.post("/api/ops/targets", { headers: bearer(w.bAdmin), data: opsTarget("b's web") }), 201),
  "GET /api/ops/targets/{id}": async (r, w) => refused(await r.get(`/api/ops/targets/${A_TARGET}x`, { headers: bearer(w.bAdmin) }), 404),
  "PUT /api/ops/targets/{id}": async (r, w) => refused(await r.put(`/api/ops/targets/${A_TARGET}x`, { headers: bearer(w.bAdmin), data: { ...opsTarget("b's edit"), id: undefined } }), 404),
  "DELETE /api/ops/targets/{id}": async (r, w) => refused(await r.delete(`/api/ops/targets/${A_TARGET}x`, { headers: bearer(w.bAdmin) }), 404),
  "GET /api/ops/emergency": async (r, w) => refused(await r.get("/api/ops/emergency", { headers: bearer(w.bAdmin) }), 200),
  "POST /api/ops/emergency": async (r, w) => [
    refused(await r.post("/api/ops/emergency", { headers: bearer(w.bAdmin), data: { reason: "b tries to open a's glass", minutes: 5, tenant: w.a } }), 403),
    refused(await r.post("/api/ops/emergency", { headers: bearer(w.bAdmin), data: { reason: "b's own incident INC-1", minutes: 5 } }), 201),
  ],
  "DELETE /api/ops/emergency": async (r, w) => refused(await r.delete(`/api/ops/emergency?tenant=${w.a}`, { headers: bearer(w.bAdmin) }), 403),
  "POST /api/ops/targets/{id}/test": async (r, w) => refused(await r.post(`/api/ops/targets/${A_TARGET}x/test`, { headers: bearer(w.bAdmin) }), 404),
};

async function operationsOf(request: APIRequestContext): Promise<string[]> {
  const doc = (await (await request.get("/api/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`)).sort();
}

/** A's state as A sees it: what B must not be able to change. */
async function snapshot(request: APIRequestContext, w: World) {
  const h = bearer(w.aAdmin);
  const read = async (url: string) => {
    const res = await request.get(url, { headers: h });
    expect(res.status(), `${url}: ${await res.text()}`).toBe(200);
    return res.json();
  };
  const approvals = (await read("/api/v1/approvals?limit=200")) as { approvals: { id: string; status: string; votes: unknown[] }[] };
  const audit = (await read("/api/v1/audit?limit=1")) as { records: { seq: number; hash: string }[] };
  return {
    approvals: approvals.approvals.map((a) => [a.id, a.status, a.votes.length]),
    auditHead: audit.records[0] ? [audit.records[0].seq, audit.records[0].hash] : null,
    policy: ((await read("/api/v1/policy")) as { version?: number }).version ?? null,
    member: await read(`/api/admin/rbac/${w.a}/users/a1`),
    members: await read(`/api/admin/rbac/${w.a}/users`),
    quotas: await read(`/api/admin/tenants/${w.a}/quotas`),
    tenant: await read("/api/admin/tenants"),
    tokens: ((await read("/api/admin/tokens?limit=200")) as { tokens: { id: string; revoked_at: string | null }[] }).tokens.map((t) => [t.id, t.revoked_at]),
    testCases: ((await read("/api/v1/policy/test-cases")) as { test_cases: unknown[] }).test_cases,
    draft: ((await read("/api/v1/policy/draft")) as { text: string; saved_at: string }).text,
    emergency: ((await read("/api/ops/emergency")) as { active: unknown; recent: unknown[] }).recent,
    targets: ((await read("/api/ops/targets")) as { targets: { id: string; name: string; updated_at: string }[] }).targets.map((t) => [t.id, t.name, t.updated_at]),
    // A's own API token still works.
    tokenWorks: (await request.get("/api/v1/policy", { headers: bearer(w.aToken) })).status(),
  };
}

test.describe("tenant isolation on every API route", () => {
  let w: World;

  test.beforeAll(async ({ request }) => {
    const marker = `AMARK${randomBytes(5).toString("hex")}`;
    const a = await newTenant(request, "iso-a");
    const b = await newTenant(request, "iso-b");
    const aAdmin = token(a, "root", "admin");
    const versionId = await pinPolicy(request, a, `version: 1
name: ${marker}
rules:
  - name: "${marker} writes need approval"
    match: "probe.write"
    action: approval
    approver_group: secops
    required_approvals: 2
  - { name: "${marker} reads", match: "probe.echo", action: allow }
`);
    await pinPolicy(request, b, "version: 1\nrules:\n  - { name: b-echo, match: probe.echo, action: allow }\n");
    const slackA = `UA${marker.slice(-8).toUpperCase()}`;
    expect((await putMember(request, a, "a1", { roles: ["approver"], groups: ["secops"], slack_user_id: slackA })).status()).toBe(200);
    expect((await request.put(`/api/admin/tenants/${a}/quotas`, { headers: bearer(aAdmin), data: { requests_per_minute: 1000, daily_budget_usd: 77 } })).status()).toBe(200);
    const agent = token(a, "agent-a", "agent");
    await mcpCall(request, agent, "probe.echo", { message: marker });
    const approvalId = verdictOf(await mcpCall(request, agent, "probe.write", { path: `/${marker}`, content: marker }))!.approval!.id;
    const minted = await request.post("/api/admin/tokens", { headers: bearer(aAdmin), data: { subject: "agent-a2", roles: ["agent"], ttl_seconds: 3600, name: marker } });
    expect(minted.status(), await minted.text()).toBe(201);
    const { id: aTokenId, token: aToken } = (await minted.json()) as { id: string; token: string };
    const tc = await request.post("/api/v1/policy/test-cases", { headers: bearer(aAdmin), data: { name: `${marker} writes`, call: { tool: "probe.write", arguments: { path: `/${marker}` } }, expected: { decision: "approval" } } });
    expect(tc.status(), await tc.text()).toBe(200);
    const aTestCaseId = ((await tc.json()) as { id: number }).id;
    const glass = await request.post("/api/ops/emergency", { headers: bearer(aAdmin), data: { reason: `${marker} incident in A`, minutes: 30 } });
    expect(glass.status(), await glass.text()).toBe(201);
    for (const id of [A_TARGET, `${A_TARGET}x`]) {
      const created = await request.post("/api/ops/targets", { headers: bearer(aAdmin), data: { ...opsTarget(`${marker} web`), id } });
      expect(created.status(), await created.text()).toBe(201);
    }
    expect((await request.put("/api/v1/policy/draft", { headers: bearer(aAdmin), data: { text: `# ${marker} draft\nversion: 1\n` } })).status()).toBe(200);
    const aSession = await mcpSession(request, agent);
    w = { aAgent: agent, aSession, aTestCaseId, aTokenId, aToken, a, b, marker, secrets: [marker, slackA], aAdmin, bAdmin: token(b, "root", ["admin", "policy_author", "approver", "agent"]), bAgent: token(b, "agent-b", "agent"), approvalId, versionId };
  });

  test("every operation of the OpenAPI document has an isolation case", async ({ request }) => {
    const missing = (await operationsOf(request)).filter((op) => !(op in CASES));
    expect(missing, "add a case to CASES for each new route").toEqual([]);
  });

  test("no operation by tenant B reveals or changes tenant A's data", async ({ request }) => {
    const before = await snapshot(request, w);
    for (const op of await operationsOf(request)) {
      const answers = await CASES[op](request, w);
      for (const res of Array.isArray(answers) ? answers : [answers]) {
        // Echoes of what B itself sent (A's tenant id, an approval id) reveal nothing; A's own data would.
        const text = await res.text();
        for (const secret of w.secrets) expect(text, `${op} (${res.url()}) revealed tenant A's data`).not.toContain(secret);
        expect(res.status(), `${op} (${res.url()}) failed: ${text.slice(0, 300)}`).toBeLessThan(500);
      }
    }
    expect(await snapshot(request, w)).toEqual(before);
  });
});
