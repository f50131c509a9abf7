import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "./constants";
import { cliToken } from "./helpers";

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
  const denied = (await client.callTool({ name: "users.export", arguments: {} })) as CallToolResult;
  expect(denied.isError).toBe(true);
  expect(text(denied)).toMatch(/Denied by rule "User export forbidden": .*Trace [0-9a-f-]{36}/);
  const traceId = text(denied).match(/Trace ([0-9a-f-]{36})/)![1];
  const admin = cliToken({ subject: "alice", roles: "admin" });
  const audit = await request.get(`/api/v1/audit?trace_id=${traceId}`, { headers: { Authorization: `Bearer ${admin}` } });
  expect(audit.status()).toBe(200);
  const records = (await audit.json()).records;
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ decision: "deny", rule: "User export forbidden", tool: "users.export", subject: "agent-42" });

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

test("MCP without a token is refused before anything runs", async ({ request }) => {
  const res = await request.post("/mcp", { data: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
  expect(res.status()).toBe(401);
});
