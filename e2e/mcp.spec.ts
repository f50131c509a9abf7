import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "./constants";
import { cliToken } from "./helpers";
import { probeCalls } from "./security/kit";

const base = `http://127.0.0.1:${E2E_PORT}`;

async function agentClient(token: string) {
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

test("an agent with the official MCP SDK client lists and calls tools through CanopyIQ", async ({ request }) => {
  const token = cliToken({ subject: "agent-42", roles: "agent", ttl: 600 });
  const client = await agentClient(token);

  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(["fs.write", "fs.read", "cloud.estimate"]));
  expect(names).not.toContain("fs.write_file"); // only under its alias: a rule on fs.write cannot be bypassed

  // Allowed: a write inside the jail reaches the real filesystem server, and reads back.
  const written = (await client.callTool({ name: "fs.write", arguments: { path: "/sandbox/tmp/e2e.txt", content: "hello from the agent" } })) as CallToolResult;
  expect(written.isError ?? false).toBe(false);
  const read = (await client.callTool({ name: "fs.read", arguments: { path: "/sandbox/tmp/e2e.txt" } })) as CallToolResult;
  expect(text(read)).toContain("hello from the agent");

  // Denied: explained by rule, reason and trace id, and recorded with that trace id.
  const denied = (await client.callTool({ name: "fs.read", arguments: { path: "/etc/passwd" } })) as CallToolResult;
  expect(denied.isError).toBe(true);
  expect(text(denied)).toMatch(/Denied by rule "FS system paths are off limits": .*Trace [0-9a-f-]{36}/);
  const traceId = text(denied).match(/Trace ([0-9a-f-]{36})/)![1];
  const admin = cliToken({ subject: "alice", roles: "admin" });
  const audit = await request.get(`/api/v1/audit?trace_id=${traceId}`, { headers: { Authorization: `Bearer ${admin}` } });
  expect(audit.status()).toBe(200);
  const records = (await audit.json()).records;
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ decision: "deny", rule: "FS system paths are off limits", tool: "fs.read", subject: "agent-42" });

  // A name no upstream offers is a protocol error (-32602), even one a rule names (users.export).
  await expect(client.callTool({ name: "users.export", arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("Unknown tool: users.export") });

  // Approval required (seed 000's dual control): an approval id to retry with.
  const pending = (await client.callTool({ name: "fs.write", arguments: { path: "/etc/hosts", content: "malicious" } })) as CallToolResult;
  expect(pending.isError).toBe(true);
  expect(text(pending)).toMatch(/Approval required by rule "FS-write outside jail requires dual approval".*Approval appr_\S+ is pending \(0\/2 approvals from secops/);

  await client.close();
});

test("seed 000 §6A: cloud.estimate with the seed's curl, as written", async ({ request }) => {
  const token = cliToken({ subject: "alice", roles: "admin,approver", ttl: 7200 });
  // curl -s -X POST /mcp -H "Authorization: Bearer $TOKEN" -d '…' (a form content type, no Accept header)
  const res = await request.post("/mcp", {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-www-form-urlencoded", Accept: "*/*" },
    data: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cloud.estimate","arguments":{"provider":"aws","action":"ec2.run_instances","units":10}}}',
  });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.result.isError ?? false).toBe(false);
  expect(body.result.structuredContent.estimated_cost_usd).toBeGreaterThan(0);
});

test("seed 004: guard/check and guard/enforce with AegisMCP's flat body", async ({ request }) => {
  const token = cliToken({ subject: "agent-7", roles: "agent" });
  const headers = { Authorization: `Bearer ${token}`, "content-type": "application/json" };
  const check = await (await request.post("/guard/check", { headers, data: { tool: "refunds.refund", amount_cents: 12000, op: "refund" } })).json();
  expect(check).toMatchObject({ decision: "allow", rule: "Refunds up to $150" });
  const enforce = await (await request.post("/guard/enforce", { headers, data: { tool: "refunds.refund", amount_cents: 20000, op: "refund" } })).json();
  expect(enforce.decision).toBe("approval");
  expect(enforce.approval.id).toMatch(/^appr_/);
  expect(enforce.audit.seq).toBeGreaterThan(0);
});

test("MCP without a token is refused before anything runs, pointing at the protected resource metadata (RFC 9728)", async ({ request }) => {
  const res = await request.post("/mcp", { data: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
  expect(res.status()).toBe(401);
  const challenge = res.headers()["www-authenticate"];
  expect(challenge).toMatch(/^Bearer resource_metadata="(http[^"]+)"$/);
  const metadataUrl = challenge.match(/resource_metadata="([^"]+)"/)![1];
  expect(new URL(metadataUrl).pathname).toBe("/.well-known/oauth-protected-resource");
  const metadata = await request.get(new URL(metadataUrl).pathname);
  expect(metadata.status()).toBe(200);
  const doc = await metadata.json();
  expect(doc).toMatchObject({ resource: new URL(metadataUrl).origin, bearer_methods_supported: ["header"] });
  // The path-suffixed document (RFC 9728 §3.1) names the MCP endpoint itself.
  expect(await (await request.get("/.well-known/oauth-protected-resource/mcp")).json()).toMatchObject({ resource: `${new URL(metadataUrl).origin}/mcp` });
});

test.describe("MCP transport conformance against the production server", () => {
  const rpcHeaders = (token: string) => ({ Authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" });

  test("a browser Origin that is not allowed (DNS rebinding) is refused with 403 before anything runs: nothing reaches the probe upstream", async ({ request }) => {
    const before = await probeCalls(request);
    const token = cliToken({ subject: "agent-rebind", roles: "agent" });
    for (const origin of ["http://evil.example", "http://127.0.0.1.evil.example:" + E2E_PORT, "null"]) {
      const res = await request.post("/mcp", { headers: { ...rpcHeaders(token), origin }, data: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "probe.write", arguments: { path: "/rebound" } } } });
      expect(res.status(), origin).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "origin_not_allowed" } });
    }
    expect((await probeCalls(request)).total).toBe(before.total);
    // The console's own origin and loopback ones are allowed; so is no Origin at all (not a browser).
    for (const origin of [base, "http://localhost:6274", undefined]) {
      const res = await request.post("/mcp", { headers: { ...rpcHeaders(token), ...(origin ? { origin } : {}) }, data: { jsonrpc: "2.0", id: 2, method: "ping" } });
      expect(res.status(), String(origin)).toBe(200);
    }
  });

  test("tools/call of an unknown tool is JSON-RPC -32602; nothing reaches the probe upstream", async ({ request }) => {
    const before = await probeCalls(request);
    const token = cliToken({ subject: "agent-unknown", roles: "agent" });
    for (const name of ["probe.no_such_tool", "nowhere.tool"]) {
      const res = await request.post("/mcp", { headers: rpcHeaders(token), data: { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: {} } } });
      expect(res.status()).toBe(200);
      expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32602, message: `Unknown tool: ${name}` } });
    }
    expect((await probeCalls(request)).total).toBe(before.total);
  });

  test("an unsupported MCP-Protocol-Version: 400 keeping the request id and listing the supported versions", async ({ request }) => {
    const token = cliToken({ subject: "agent-version", roles: "agent" });
    const res = await request.post("/mcp", { headers: { ...rpcHeaders(token), "mcp-protocol-version": "2099-01-01" }, data: { jsonrpc: "2.0", id: "v1", method: "tools/list" } });
    expect(res.status()).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ jsonrpc: "2.0", id: "v1", error: { code: -32000, data: { requested: "2099-01-01" } } });
    expect(body.error.data.supported).toEqual(expect.arrayContaining(["2025-11-25", "2025-06-18", "2025-03-26"]));
  });
});
