import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import { resetEnvForTests } from "@/lib/env";
import { UnknownToolError } from "./upstreams/errors";

const calls: { tool: string; arguments: Record<string, unknown> }[] = [];

// The endpoint runs on a fake gateway: the protocol handling is what is under test.
const gateway: McpGateway = {
  listTools: async () => [],
  call: async (_p: Principal, call: { tool: string; arguments: Record<string, unknown> }) => {
    calls.push(call);
    if (call.tool.startsWith("no.such")) throw new UnknownToolError(call.tool);
    if (call.tool === "too.big") throw new AppError(400, "arguments_too_large", "the call's arguments are nested deeper than 32 levels (at arguments.a)", { limit: "depth", path: "arguments.a" });
    return { verdict: { decision: "allow" as const, tool: call.tool, trace_id: "t", rule: "r", reason: null, policy_version: 1, estimated_cost_usd: 0, cost_known: true }, result: { content: [{ type: "text" as const, text: "ok" }] } };
  },
};


import { batchRefusal, handleMcpRequest, type McpGateway } from "./endpoint";
import { createRequestStateSealer } from "./request-state";

const deps = { gateway, requestState: createRequestStateSealer("endpoint-test-secret") };

const agent: Principal = { kind: "token", tenant: "t1", subject: "agent", roles: ["agent"] };

function post(body: unknown, headers: Record<string, string> = {}) {
  return handleMcpRequest(new Request("http://test/api/mcp", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }), agent, deps);
}

const toolCall = (id: number, name = "probe.echo") => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { n: id } } });

beforeEach(() => {
  calls.length = 0;
});
afterEach(() => {
  delete process.env.MCP_MAX_BATCH;
  delete process.env.BODY_LIMIT_MCP_BYTES;
  resetEnvForTests();
});

describe("batches", () => {
  test.each(["2025-06-18", "2025-11-25"])("MCP-Protocol-Version %s: any batch is refused (batching was removed), nothing runs", async (version) => {
    const res = await post([toolCall(1), toolCall(2)], { "mcp-protocol-version": version });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringMatching(new RegExp(`not supported in MCP revision ${version}: batching was removed in 2025-06-18`)) } });
    expect(calls).toHaveLength(0);
  });

  test.each([
    ["no version header (2025-03-26 assumed)", {}],
    ["2025-03-26", { "mcp-protocol-version": "2025-03-26" }],
  ])("%s: a batch of 2 runs both calls, each through the gateway", async (_label, headers) => {
    const res = await post([toolCall(1), toolCall(2)], headers);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.map((r: { id: number }) => r.id).sort()).toEqual([1, 2]);
    expect(calls.map((c) => c.arguments.n).sort()).toEqual([1, 2]);
  });

  test.each([21, 10_000])("a batch of %i (more than MCP_MAX_BATCH=20) is refused whole: nothing runs", async (n) => {
    const res = await post(Array.from({ length: n }, (_, i) => toolCall(i + 1)));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: -32600, message: expect.stringMatching(new RegExp(`batch of ${n} messages refused, nothing was run: at most 20 messages per batch \\(MCP_MAX_BATCH\\)`)) });
    expect(calls).toHaveLength(0);
  });

  test("a batch of exactly MCP_MAX_BATCH runs; the cap follows the setting", async () => {
    expect(batchRefusal(20, null)).toBeNull();
    process.env.MCP_MAX_BATCH = "3";
    resetEnvForTests();
    expect(batchRefusal(4, null)).toMatch(/at most 3 messages/);
    expect(batchRefusal(3, "2025-03-26")).toBeNull();
  });

  test("an empty batch is an invalid request", async () => {
    const res = await post([]);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe(-32600);
  });
});

describe("ids: a notification is a message without an id member", () => {
  test.each([
    ["an object", {}],
    ["an array", [1]],
    ["a boolean", true],
    ["null", null],
  ])("id as %s with a method: -32600 invalid request, never a silent notification", async (_label, id) => {
    const res = await post({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "probe.echo", arguments: {} } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringMatching(/"id" must be a string or a number/) } });
    expect(calls).toHaveLength(0);
  });

  test("without an id member: a notification, answered 202 with no body", async () => {
    const res = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect(res.status).toBe(202);
  });

  test.each([
    ["a string", "abc"],
    ["a number", 7],
  ])("id as %s: answered with that id", async (_label, id) => {
    expect(await (await post({ jsonrpc: "2.0", id, method: "ping" })).json()).toEqual({ jsonrpc: "2.0", id, result: {} });
  });

  test("a method that is not a string is an invalid request", async () => {
    expect((await (await post({ jsonrpc: "2.0", id: 1, method: 5 })).json()).error.code).toBe(-32600);
  });
});

describe("bounds", () => {
  test("arguments past the bounds: JSON-RPC -32602 invalid params naming the limit", async () => {
    const body = await (await post(toolCall(9, "too.big"))).json();
    expect(body).toMatchObject({ id: 9, error: { code: -32602, message: expect.stringMatching(/^invalid params: the call's arguments are nested deeper than 32 levels/), data: { code: "arguments_too_large", details: { limit: "depth" } } } });
  });

  test("a body past BODY_LIMIT_MCP_BYTES: 413 payload_too_large, nothing parsed or run", async () => {
    process.env.BODY_LIMIT_MCP_BYTES = "4096";
    resetEnvForTests();
    await expect(post({ ...toolCall(1), params: { name: "probe.echo", arguments: { content: "x".repeat(5000) } } })).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
    expect(calls).toHaveLength(0);
  });
});

describe("conformance: tools/call of a name nothing offers", () => {
  test.each([
    ["a dotted name", "no.such.tool"],
    ["a bare name", "no.such"],
  ])("%s: JSON-RPC -32602 Unknown tool, with the request's id", async (_label, name) => {
    const res = await post(toolCall(41, name));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 41, error: { code: -32602, message: `Unknown tool: ${name}` } });
  });

  test("a known tool stays a result (a policy denial would be an isError result with its verdict)", async () => {
    const body = await (await post(toolCall(42))).json();
    expect(body).toMatchObject({ id: 42, result: { content: [{ type: "text", text: "ok" }] } });
  });
});

describe("conformance: protocol versions", () => {
  const SUPPORTED = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"];
  const unsupported = ["1999-01-01", "2099-01-01"].flatMap((version) =>
    [
      ["a numeric id", 7, 7],
      ["a string id", "v-1", "v-1"],
      ["a notification (no id)", undefined, null],
    ].map(([label, id, expectedId]) => [version, label, id, expectedId] as const),
  );
  test.each(unsupported)("an unsupported MCP-Protocol-Version %s without the 2026-07-28 envelope, %s: 400 keeping the id, naming the supported versions, nothing run", async (version, _label, id, expectedId) => {
    const message = id === undefined ? { jsonrpc: "2.0", method: "tools/call", params: { name: "probe.echo" } } : toolCall(0, "probe.echo");
    if (id !== undefined) Object.assign(message, { id });
    const res = await post(message, { "mcp-protocol-version": version });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ jsonrpc: "2.0", id: expectedId, error: { code: -32000, message: expect.stringContaining(`Unsupported protocol version: ${version}`), data: { requested: version } } });
    expect(body.error.data.supported).toEqual(expect.arrayContaining(SUPPORTED));
    expect(calls).toHaveLength(0);
  });

  test.each(SUPPORTED)("MCP-Protocol-Version %s is served", async (version) => {
    expect(await (await post({ jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-protocol-version": version })).json()).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
  });

  test("seed 000 §6A's curl (no version header, no Accept, a form content type, no initialize) is served as 2025-03-26", async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cloud.estimate","arguments":{"provider":"aws","action":"ec2.run_instances","units":10}}}';
    const res = await handleMcpRequest(new Request("http://test/mcp", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }), agent, deps);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "ok" }] } });
    expect(calls).toEqual([{ tool: "cloud.estimate", arguments: { provider: "aws", action: "ec2.run_instances", units: 10 }, approvalId: undefined }]);
  });
});
