import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POST as nextPost, GET as nextGet, HEAD as nextHead, DELETE as nextDelete, PUT as nextPut } from "@/app/api/mcp/route";
import type { TestDb } from "@/lib/db/testing";
import { auditSearchQuerySchema } from "@/lib/audit/schemas";
import { mintToken } from "@/lib/auth/tokens";
import { env, publicUrl } from "@/lib/env";
import { services } from "@/lib/server";
import { GET as metadataGet } from "@/app/.well-known/oauth-protected-resource/[[...resource]]/route";
import { startTestUpstream, type TestUpstream } from "@/lib/mcp/upstreams/test-server";
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from "@modelcontextprotocol/client";
import { serveDataPlane } from "./serve";
import { type DataPlaneFixture, setUpDataPlane } from "./testing";

/**
 * The same calls through the three ways /mcp is served must get the same answers: the node:http
 * data plane as `npm start` mounts it (lib/data-plane/serve), `canopy gateway` (its own process,
 * sharing Postgres; only with DATABASE_URL, since the embedded database belongs to one process),
 * and the Next route (what `npm run dev` serves). Trace ids, audit sequence numbers and hashes
 * differ per call and are masked; everything else must match byte for byte after parsing.
 */

let db: TestDb | undefined;
let fixture: DataPlaneFixture | undefined;
let upstream: TestUpstream;
let inProcess: { url: string; close: () => Promise<void> };
let gateway: { child: ChildProcess; url: string } | undefined;
let token: string;
/** The upstream's call count before a case: cases that must not forward compare against it. */
let callsBefore = 0;

interface Answer {
  status: number;
  type: string | null;
  allow: string | null;
  retryAfter: string | null;
  challenge: string | null;
  body: unknown;
}

async function viaHttp(base: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const res = await fetch(`${base}/mcp`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), allow: res.headers.get("allow"), retryAfter: res.headers.get("retry-after"), challenge: res.headers.get("www-authenticate"), body: text ? JSON.parse(text) : null };
}

async function viaNext(method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const req = new Request("http://127.0.0.1/api/mcp", { method, headers, body });
  const ctx = { params: Promise.resolve({}) };
  const res = method === "POST" ? await nextPost(req, ctx) : method === "GET" ? await nextGet(req, ctx) : method === "HEAD" ? await nextHead(req, ctx) : method === "DELETE" ? await nextDelete(req, ctx) : await nextPut(req);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), allow: res.headers.get("allow"), retryAfter: res.headers.get("retry-after"), challenge: res.headers.get("www-authenticate"), body: text ? JSON.parse(text) : null };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Per-call values masked: trace ids, audit positions and hashes, timings. */
function normalize(a: Answer): Answer {
  const text = JSON.stringify(a.body)
    .replace(UUID, "<uuid>")
    .replace(/"seq":\d+/g, '"seq":0')
    .replace(/"hash":"[0-9a-f]{64}"/g, '"hash":"<hash>"')
    .replace(/"latency_ms":[\d.]+/g, '"latency_ms":0')
    .replace(/"requestState":"v1\.[\w.-]+"/g, '"requestState":"<sealed>"');
  return { ...a, type: a.type?.split(";")[0] ?? null, body: JSON.parse(text) };
}

beforeAll(async () => {
  upstream = await startTestUpstream({ token: "parity-token", label: "parity", richTools: true });
  fixture = await setUpDataPlane({
    label: "parity",
    upstream,
    upstreamToken: "parity-token",
    policyYaml: [
      "version: 1",
      "defaults: { decision: deny }",
      "rules:",
      '  - { name: no-whoami, match: "tickets.whoami", action: deny, reason: "nobody needs to know" }',
      '  - { name: tickets, match: "tickets.*", action: allow, reason: "tickets are fine" }',
      '  - { name: estimates, match: "cloud.estimate", action: allow, reason: "estimates are free" }',
    ].join("\n"),
  });
  ({ db, token } = fixture);
  inProcess = await serveDataPlane({ port: 0, host: "127.0.0.1" });
  if (db) {
    const child = spawn(process.execPath, ["cli/canopy.mjs", "gateway", "--port", "0"], { env: { ...process.env, ...fixture.shared }, stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`canopy gateway did not start: ${out}`)), 60_000);
      child.stdout!.on("data", (d) => {
        out += String(d);
        const m = out.match(/on (http:\/\/[\d.:]+)\/mcp/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr!.on("data", (d) => (out += String(d)));
      child.once("exit", (code) => reject(new Error(`canopy gateway exited (${code}): ${out}`)));
    });
    gateway = { child, url };
  }
}, 120_000);

afterAll(async () => {
  gateway?.child.kill("SIGTERM");
  await inProcess?.close();
  await upstream?.stop();
  await fixture?.teardown();
});

const rpc = (id: number | string, method: string, params?: object) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
const json = { "content-type": "application/json" };
const bearer = () => ({ ...json, authorization: `Bearer ${token}` });

const cases: { label: string; method?: string; headers: () => Record<string, string>; body?: string; expected: (a: Answer) => void }[] = [
  { label: "ping", headers: bearer, body: rpc(1, "ping"), expected: (a) => expect(a).toMatchObject({ status: 200, body: { jsonrpc: "2.0", id: 1, result: {} } }) },
  {
    label: "initialize",
    headers: bearer,
    body: rpc("i", "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "parity", version: "1" } }),
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { protocolVersion: "2025-06-18", serverInfo: { name: "canopyiq" } } } }),
  },
  { label: "tools/list", headers: bearer, body: rpc(2, "tools/list"), expected: (a) => expect(JSON.stringify(a.body)).toContain('"tickets.create_ticket"') },
  {
    label: "tools/list passes a tool's optional fields through and hides a task-only tool",
    headers: bearer,
    body: rpc(21, "tools/list"),
    expected: (a) => {
      const tools = (a.body as { result: { tools: { name: string }[] } }).result.tools;
      expect(tools.find((t) => t.name === "tickets.rich")).toMatchObject({ title: "Rich tool", outputSchema: { properties: { answer: { type: "number" } } }, annotations: { readOnlyHint: true }, execution: { taskSupport: "forbidden" }, _meta: { "example.com/owner": "team-a" } });
      expect(tools.map((t) => t.name)).not.toContain("tickets.task_only");
    },
  },
  {
    label: "tools/call passes structuredContent and the result's _meta through, beside the verdict",
    headers: bearer,
    body: rpc(22, "tools/call", { name: "tickets.rich", arguments: {} }),
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { structuredContent: { answer: 42 }, _meta: { "example.com/run": "r1", canopyiq: { decision: "allow" } } } } }),
  },
  {
    label: "tools/call forwarded to the HTTP upstream",
    headers: bearer,
    body: rpc(3, "tools/call", { name: "tickets.create_ticket", arguments: { title: "disk full" } }),
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { content: [{ type: "text", text: 'parity: created "disk full"' }], _meta: { canopyiq: { decision: "allow", rule: "tickets" } } } } }),
  },
  {
    label: "tools/call of a built-in tool",
    headers: bearer,
    body: rpc(4, "tools/call", { name: "cloud.estimate", arguments: { provider: "aws", action: "ec2.run_instances", params: { instance_type: "t3.micro", count: 1 } } }),
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { _meta: { canopyiq: { decision: "allow" } } } } }),
  },
  {
    label: "tools/call of a known tool denied by a rule: an isError result with the verdict",
    headers: bearer,
    body: rpc(5, "tools/call", { name: "tickets.whoami", arguments: {} }),
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { id: 5, result: { isError: true, _meta: { canopyiq: { decision: "deny", rule: "no-whoami" } } } } }),
  },
  {
    label: "tools/call of an unknown tool under no upstream: -32602",
    headers: bearer,
    body: rpc(51, "tools/call", { name: "tickets2.nope", arguments: {} }),
    expected: (a) => expect(a).toEqual({ status: 200, type: "application/json", allow: null, retryAfter: null, challenge: null, body: { jsonrpc: "2.0", id: 51, error: { code: -32602, message: "Unknown tool: tickets2.nope" } } }),
  },
  {
    label: "tools/call of an unknown tool of an allowed upstream: -32602, not forwarded",
    headers: bearer,
    body: rpc(52, "tools/call", { name: "tickets.nope", arguments: {} }),
    expected: (a) => {
      expect(a).toMatchObject({ status: 200, body: { id: 52, error: { code: -32602, message: "Unknown tool: tickets.nope" } } });
      expect(upstream.seen.calls).toBe(callsBefore);
    },
  },
  {
    label: "a foreign Origin: 403 before authentication",
    headers: () => ({ ...bearer(), origin: "http://evil.example" }),
    body: rpc(53, "tools/call", { name: "tickets.create_ticket", arguments: { title: "rebound" } }),
    expected: (a) => {
      expect(a).toMatchObject({ status: 403, body: { error: { code: "origin_not_allowed" } } });
      expect(upstream.seen.calls).toBe(callsBefore);
    },
  },
  { label: "a foreign Origin without credentials: 403 too", headers: () => ({ ...json, origin: "http://evil.example" }), body: rpc(54, "ping"), expected: (a) => expect(a).toMatchObject({ status: 403, challenge: null }) },
  { label: "a loopback Origin is allowed", headers: () => ({ ...bearer(), origin: "http://localhost:6274" }), body: rpc(55, "ping"), expected: (a) => expect(a).toMatchObject({ status: 200, body: { id: 55, result: {} } }) },
  {
    label: "seed 000's curl: no Accept, a form content type, no version header, no initialize",
    headers: () => ({ authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" }),
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cloud.estimate","arguments":{"provider":"aws","action":"ec2.run_instances","units":10}}}',
    expected: (a) => expect(a).toMatchObject({ status: 200, body: { id: 1, result: { _meta: { canopyiq: { decision: "allow", rule: "estimates" } } } } }),
  },
  { label: "unknown method", headers: bearer, body: rpc(6, "resources/nope"), expected: (a) => expect(a).toMatchObject({ status: 200, body: { error: { code: -32601 } } }) },
  { label: "notification", headers: bearer, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), expected: (a) => expect(a).toMatchObject({ status: 202, body: null }) },
  { label: "not JSON", headers: bearer, body: "{nope", expected: (a) => expect(a).toMatchObject({ status: 400, body: { error: { code: -32700 } } }) },
  {
    label: "batch under 2025-06-18",
    headers: () => ({ ...bearer(), "mcp-protocol-version": "2025-06-18" }),
    body: `[${rpc(7, "ping")}]`,
    expected: (a) => expect(a).toMatchObject({ status: 400, body: { error: { code: -32600 } } }),
  },
  {
    label: "unsupported protocol version: 400 keeping the id, listing the supported ones",
    headers: () => ({ ...bearer(), "mcp-protocol-version": "1999-01-01" }),
    body: rpc(8, "ping"),
    expected: (a) => expect(a).toMatchObject({ status: 400, body: { id: 8, error: { code: -32000, data: { requested: "1999-01-01", supported: expect.arrayContaining(["2025-11-25", "2025-06-18", "2025-03-26"]) } } } }),
  },
  {
    label: "no credentials: 401 with the RFC 9728 challenge",
    headers: () => json,
    body: rpc(9, "ping"),
    expected: (a) => expect(a).toMatchObject({ status: 401, challenge: `Bearer resource_metadata="${publicUrl()}/.well-known/oauth-protected-resource"`, body: { error: { code: "unauthorized" } } }),
  },
  { label: "a forged token", headers: () => ({ ...json, authorization: `Bearer ${token.slice(0, -6)}AAAAAA` }), body: rpc(10, "ping"), expected: (a) => expect(a).toMatchObject({ status: 401, challenge: expect.stringMatching(/^Bearer resource_metadata=/), body: { error: { code: "unauthorized" } } }) },
  { label: "not a bearer header", headers: () => ({ ...json, authorization: "Basic abc" }), body: rpc(11, "ping"), expected: (a) => expect(a.status).toBe(401) },
  { label: "GET without Accept: text/event-stream: 406", method: "GET", headers: bearer, expected: (a) => expect(a).toMatchObject({ status: 406, body: { error: { code: "not_acceptable" } } }) },
  {
    label: "GET at 2026-07-28 (stateless, no standalone stream): 405",
    method: "GET",
    headers: () => ({ ...bearer(), accept: "text/event-stream", "mcp-protocol-version": "2026-07-28" }),
    expected: (a) => expect(a).toMatchObject({ status: 405, body: { error: { code: "method_not_allowed", details: { allow: ["POST"] } } } }),
  },
  {
    label: "GET with a forged session id: 404, initialize again",
    method: "GET",
    headers: () => ({ ...bearer(), accept: "text/event-stream", "mcp-session-id": "eyJ0IjoieCJ9.forged" }),
    expected: (a) => expect(a).toMatchObject({ status: 404, body: { error: { code: "session_not_found" } } }),
  },
  { label: "GET without credentials: 401 with the challenge", method: "GET", headers: () => ({ accept: "text/event-stream" }), expected: (a) => expect(a).toMatchObject({ status: 401, challenge: expect.stringMatching(/^Bearer resource_metadata=/) }) },
  { label: "HEAD: what GET would answer, no stream held", method: "HEAD", headers: () => ({ ...bearer(), accept: "text/event-stream" }), expected: (a) => expect(a).toMatchObject({ status: 200, type: "text/event-stream", body: null }) },
  { label: "DELETE without a session id: 400", method: "DELETE", headers: bearer, expected: (a) => expect(a).toMatchObject({ status: 400, body: { error: { code: "bad_request", details: { header: "Mcp-Session-Id" } } } }) },
  { label: "DELETE with a forged session id: 404", method: "DELETE", headers: () => ({ ...bearer(), "mcp-session-id": "eyJ0IjoieCJ9.forged" }), expected: (a) => expect(a).toMatchObject({ status: 404, body: { error: { code: "session_not_found" } } }) },
  { label: "PUT: 405 naming GET, POST and DELETE", method: "PUT", headers: bearer, expected: (a) => expect(a).toMatchObject({ status: 405, allow: "GET, HEAD, POST, DELETE, OPTIONS", body: { error: { code: "method_not_allowed" } } }) },
  ...statelessCases(),
];

/** MCP 2026-07-28 requests: version and client declaration in `_meta`, the method and name in headers too. */
function statelessCases(): typeof cases {
  const V = "2026-07-28";
  const meta = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: {} }, "io.modelcontextprotocol/clientInfo": { name: "parity", version: "1" } };
  const req = (id: number, method: string, params: Record<string, unknown> = {}, metaOver: Record<string, unknown> = {}) => rpc(id, method, { ...params, _meta: { ...meta, ...metaOver } });
  const h = (method: string, name?: string, version = V) => () => ({ ...bearer(), "mcp-protocol-version": version, "mcp-method": method, ...(name ? { "mcp-name": name } : {}) });
  return [
    {
      label: "2026-07-28 server/discover: the revisions and capabilities, stamped complete",
      headers: h("server/discover"),
      body: req(101, "server/discover"),
      expected: (a) => expect(a).toMatchObject({ status: 200, body: { id: 101, result: { resultType: "complete", supportedVersions: expect.arrayContaining([V, "2025-11-25"]), capabilities: { tools: {} }, _meta: { "io.modelcontextprotocol/serverInfo": { name: "canopyiq" } } } } }),
    },
    {
      label: "2026-07-28 tools/list: policy-filtered, so cacheScope private",
      headers: h("tools/list"),
      body: req(102, "tools/list"),
      expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { resultType: "complete", cacheScope: "private", ttlMs: 0, tools: expect.arrayContaining([expect.objectContaining({ name: "tickets.create_ticket" })]) } } }),
    },
    {
      label: "2026-07-28 tools/call forwarded: resultType complete beside the verdict",
      headers: h("tools/call", "tickets.create_ticket"),
      body: req(103, "tools/call", { name: "tickets.create_ticket", arguments: { title: "stateless" } }),
      expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { resultType: "complete", content: [{ text: 'parity: created "stateless"' }], _meta: { canopyiq: { decision: "allow" } } } } }),
    },
    {
      label: "2026-07-28 Mcp-Name disagreeing with the body: HeaderMismatch -32020, HTTP 400, not forwarded",
      headers: h("tools/call", "tickets.whoami"),
      body: req(104, "tools/call", { name: "tickets.create_ticket", arguments: { title: "smuggled" } }),
      expected: (a) => {
        expect(a).toMatchObject({ status: 400, body: { id: 104, error: { code: -32020 } } });
        expect(upstream.seen.calls).toBe(callsBefore);
      },
    },
    {
      label: "2026-07-28 envelope naming an unknown revision: UnsupportedProtocolVersion -32022 keeping the id",
      headers: h("server/discover", undefined, "v999.0.0"),
      body: req(105, "server/discover", {}, { "io.modelcontextprotocol/protocolVersion": "v999.0.0" }),
      expected: (a) => expect(a).toMatchObject({ status: 400, body: { id: 105, error: { code: -32022, data: { supported: [V], requested: "v999.0.0" } } } }),
    },
    { label: "2026-07-28 ping (removed): HTTP 404, -32601", headers: h("ping"), body: req(106, "ping"), expected: (a) => expect(a).toMatchObject({ status: 404, body: { id: 106, error: { code: -32601 } } }) },
    {
      label: "2026-07-28 a batch: refused whole (-32600)",
      headers: h("tools/list"),
      body: `[${req(107, "tools/list")}]`,
      expected: (a) => expect(a).toMatchObject({ status: 400, body: { error: { code: -32600 } } }),
    },
    {
      label: "2026-07-28 input_required from the upstream: relayed under the gateway's sealed requestState",
      headers: h("tools/call", "tickets.ask"),
      body: req(108, "tools/call", { name: "tickets.ask", arguments: {} }),
      expected: (a) => expect(a).toMatchObject({ status: 200, body: { result: { resultType: "input_required", inputRequests: { name: { method: "elicitation/create" } }, requestState: expect.stringMatching(/^v1\./) } } }),
    },
  ];
}

describe("identical answers from the data plane, canopy gateway and the Next route", () => {
  test.each(cases)("$label", async ({ method = "POST", headers, body, expected }) => {
    callsBefore = upstream.seen.calls;
    const h = headers();
    const next = await viaNext(method, h, body);
    const plane = await viaHttp(inProcess.url, method, h, body);
    expected(next);
    expect(normalize(plane)).toEqual(normalize(next));
    if (gateway) expect(normalize(await viaHttp(gateway.url, method, h, body))).toEqual(normalize(next));
  });

  test("2026-07-28 input_required across entries: round 1 through Next, the retry through the data plane and canopy gateway (one HMAC_SECRET, no state kept)", async () => {
    const V = "2026-07-28";
    const meta = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: {} } };
    const headers = { ...bearer(), "mcp-protocol-version": V, "mcp-method": "tools/call", "mcp-name": "tickets.ask" };
    const first = await viaNext("POST", headers, rpc(1, "tools/call", { name: "tickets.ask", arguments: {}, _meta: meta }));
    const state = (first.body as { result: { requestState: string } }).result.requestState;
    const retry = (requestState: string) => rpc(2, "tools/call", { name: "tickets.ask", arguments: {}, inputResponses: { name: { action: "accept", content: { name: "Ada" } } }, requestState, _meta: meta });
    for (const base of [inProcess.url, ...(gateway ? [gateway.url] : [])]) {
      expect(await viaHttp(base, "POST", headers, retry(state))).toMatchObject({ status: 200, body: { result: { resultType: "complete", content: [{ text: "parity: hello Ada" }] } } });
      // An altered state gets nothing past the gateway (other principals: lib/mcp/stateless.test.ts).
      callsBefore = upstream.seen.calls;
      expect(await viaHttp(base, "POST", headers, retry(`${state}x`))).toMatchObject({ status: 200, body: { error: { code: -32602 } } });
      expect(upstream.seen.calls).toBe(callsBefore);
    }
  });

  test.each<[string, "legacy" | "auto" | { pin: string }, string | undefined]>([
    ["SDK v2, pinned to 2026-07-28", { pin: "2026-07-28" }, "2026-07-28"],
    ["SDK v2, negotiating (server/discover first)", "auto", "2026-07-28"],
    ["SDK v2, legacy (initialize)", "legacy", undefined],
  ])("the official %s client lists and calls through the data plane", async (_label, mode, era) => {
    const client = new ClientV2({ name: "parity-v2", version: "1.0.0" }, { versionNegotiation: { mode } });
    await client.connect(new HttpV2(new URL(`${inProcess.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      if (era) expect(client.getNegotiatedProtocolVersion()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("tickets.create_ticket");
      const result = await client.callTool({ name: "tickets.create_ticket", arguments: { title: `via ${_label}` } });
      expect(result).toMatchObject({ content: [{ type: "text", text: `parity: created "via ${_label}"` }], _meta: { canopyiq: { decision: "allow" } } });
    } finally {
      await client.close();
    }
  });

  test("the official SDK v2 client (2026-07-28) answers the upstream's elicitation in-band and retries: the call completes through the gateway, each round audited", async () => {
    const client = new ClientV2({ name: "parity-v2", version: "1.0.0" }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: "2026-07-28" } } });
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.push(String(request.params.message));
      return { action: "accept", content: { name: "Grace" } };
    });
    await client.connect(new HttpV2(new URL(`${inProcess.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const from = new Date();
    try {
      const result = await client.callTool({ name: "tickets.ask", arguments: {} });
      expect(result).toMatchObject({ content: [{ type: "text", text: "parity: hello Grace" }], _meta: { canopyiq: { decision: "allow" } } });
      expect(asked).toEqual(["Your name?"]);
      // Both rounds were decided and forwarded as calls of their own (the outcome record is written after the answer).
      const outcomes = async () => (await services().audit.search(env().CANOPY_DEMO_TENANT, auditSearchQuerySchema.parse({ tool: "tickets.ask", kind: "tool_result", from }))).records.map((r) => r.upstream_outcome).sort();
      await expect.poll(outcomes).toEqual(["input_required", "ok"]);
    } finally {
      await client.close();
    }
  });

  test("alone, the data plane answers GET /health like the console, and 404 in the envelope for other paths", async () => {
    const health = await fetch(`${inProcess.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", checks: { db: { ok: true } } });
    const other = await fetch(`${inProcess.url}/api/v1/audit`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: "not_found" } });
  });

  test("alone, the data plane serves its Prometheus series on GET /metrics to a bearer with metrics.read", async () => {
    const viewer = (await mintToken({ tenant: env().CANOPY_DEMO_TENANT, subject: "prometheus", roles: ["metrics_scraper"], ttlSeconds: 600, now: Math.floor(Date.now() / 1000) }, services().tokenKeys)).token;
    for (const path of ["/metrics", "/api/metrics"]) {
      const anonymous = await fetch(`${inProcess.url}${path}`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { code: "unauthorized" } });
      const agent = await fetch(`${inProcess.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(agent.status).toBe(403);
      expect(await agent.json()).toMatchObject({ error: { message: expect.stringMatching(/metrics\.read/) } });
      const scraped = await fetch(`${inProcess.url}${path}`, { headers: { authorization: `Bearer ${viewer}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await scraped.text()).toMatch(/^# HELP /m);
    }
  });

  test.each(["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])("the protected resource metadata at %s: the Next route and canopy gateway agree", async (path) => {
    const next = await metadataGet(new Request(`http://127.0.0.1${path}`));
    expect(next.status).toBe(200);
    const doc = await next.json();
    expect(doc).toMatchObject({ resource: `${publicUrl()}${path.slice("/.well-known/oauth-protected-resource".length)}`, bearer_methods_supported: ["header"] });
    for (const base of [inProcess.url, ...(gateway ? [gateway.url] : [])]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(doc);
    }
  });

  test("canopy gateway took part (skipped only without DATABASE_URL: the embedded database belongs to one process)", () => {
    expect(Boolean(gateway)).toBe(Boolean(db));
  });
});
