import { DiscoverResultSchema } from "@modelcontextprotocol/core";
import { beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth";
import type { GatewayCall } from "@/lib/enforce/types";
import { answerMcp, type McpGateway } from "./endpoint";
import { createRequestStateSealer } from "./request-state";
import { MissingClientCapabilityError, requiredCapabilitiesOf, UnknownToolError } from "./upstreams/errors";

// 2026-07-28 on /mcp, on a fake gateway: the upstream of "ask.name" answers input_required until
// it gets its answer, and hands out a state of its own that it expects back.
const calls: GatewayCall[] = [];
const verdict = (tool: string) => ({ decision: "allow" as const, tool, trace_id: "t", rule: "r", reason: null, policy_version: 1, estimated_cost_usd: 0, cost_known: true });
const gateway: McpGateway = {
  listTools: async () => [
    { name: "ask.name", inputSchema: { type: "object" as const } },
    { name: "task.optional", inputSchema: { type: "object" as const }, execution: { taskSupport: "optional" as const }, annotations: { readOnlyHint: true } },
  ],
  call: async (_p, call) => {
    calls.push(call);
    if (call.tool.startsWith("no.such")) throw new UnknownToolError(call.tool);
    if (call.tool === "needs.sampling" && !call.round?.clientCapabilities?.sampling) throw new MissingClientCapabilityError("up", call.tool, { sampling: {} });
    const answered = call.round?.inputResponses?.user_name as { content?: { name?: string } } | undefined;
    if (call.tool === "ask.name" && !answered) {
      const result = { content: [], resultType: "input_required", inputRequests: { user_name: { method: "elicitation/create", params: { message: "Name?", requestedSchema: { type: "object", properties: {} } } } }, requestState: "upstream-state-1" };
      return { verdict: verdict(call.tool), result };
    }
    return { verdict: verdict(call.tool), result: { content: [{ type: "text" as const, text: `hello ${answered?.content?.name ?? "?"} (state ${call.round?.requestState ?? "none"})` }] } };
  },
};
const requestState = createRequestStateSealer("stateless-test-secret");
const deps = { gateway, requestState };
const alice: Principal = { kind: "token", tenant: "t1", subject: "alice", roles: ["agent"] };
const bob: Principal = { kind: "token", tenant: "t1", subject: "bob", roles: ["agent"] };
const otherTenant: Principal = { kind: "token", tenant: "t2", subject: "alice", roles: ["agent"] };

const V = "2026-07-28";
const META = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: {} }, "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" } };
type RpcBody = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };
type Headers = { protocolVersion?: string; method?: string; name?: string };

function request(method: string, params: Record<string, unknown> = {}, id: string | number = 1) {
  return { jsonrpc: "2.0", id, method, params: { ...params, _meta: { ...META, ...(params._meta as object | undefined) } } };
}
/** The headers a 2026-07-28 client sends for a body. */
function headersFor(body: { method: string; params?: Record<string, unknown> }): Headers {
  const name = body.params?.name ?? body.params?.uri;
  return { protocolVersion: V, method: body.method, ...(typeof name === "string" ? { name } : {}) };
}
async function send(body: unknown, headers: Headers, principal: Principal = alice) {
  const answer = await answerMcp(deps, { text: typeof body === "string" ? body : JSON.stringify(body), headers }, principal, new AbortController().signal);
  return answer as { status: number; body: RpcBody | null };
}
const call = (name: string, extra: Record<string, unknown> = {}, id: string | number = 1) => request("tools/call", { name, arguments: { q: 1 }, ...extra }, id);

beforeEach(() => {
  calls.length = 0;
});

describe("server/discover", () => {
  test("answers the supported revisions (2026-07-28 first) and the capabilities, as the SDK's DiscoverResult, stamped complete with the server's identity", async () => {
    const body = request("server/discover");
    const { status, body: res } = await send(body, headersFor(body));
    expect(status).toBe(200);
    const result = DiscoverResultSchema.parse(res!.result);
    expect(result.supportedVersions).toEqual(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"]);
    expect(result.capabilities).toEqual({ tools: { listChanged: false } });
    expect(res!.result).toMatchObject({ resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "canopyiq" } } });
  });

  test("is not a session-era method: without the envelope it is -32601", async () => {
    const { body } = await send({ jsonrpc: "2.0", id: 3, method: "server/discover" }, {});
    expect(body).toMatchObject({ id: 3, error: { code: -32601 } });
  });
});

describe("header ⇄ body checks (HeaderMismatch -32020, HTTP 400, the id kept, nothing run)", () => {
  const body = call("ask.name", {}, 9);
  test.each<[string, Headers]>([
    ["Mcp-Method names another method", { protocolVersion: V, method: "tools/list", name: "ask.name" }],
    ["Mcp-Name names another tool", { protocolVersion: V, method: "tools/call", name: "other.tool" }],
    ["Mcp-Name is absent", { protocolVersion: V, method: "tools/call" }],
    ["Mcp-Method is absent", { protocolVersion: V, name: "ask.name" }],
    ["MCP-Protocol-Version is absent", { method: "tools/call", name: "ask.name" }],
    ["MCP-Protocol-Version differs from the envelope's", { protocolVersion: "2025-11-25", method: "tools/call", name: "ask.name" }],
    ["Mcp-Name's base64 form is broken", { protocolVersion: V, method: "tools/call", name: "=?base64?not*base64?=" }],
  ])("%s", async (_label, headers) => {
    const { status, body: res } = await send(body, headers);
    expect(status).toBe(400);
    expect(res).toMatchObject({ jsonrpc: "2.0", id: 9, error: { code: -32020 } });
    expect(calls).toHaveLength(0);
  });

  test("Mcp-Name in its base64 form matches the body", async () => {
    const { status } = await send(call("no.such"), { protocolVersion: V, method: "tools/call", name: `=?base64?${Buffer.from("no.such").toString("base64")}?=` });
    expect(status).toBe(200);
    expect(calls).toHaveLength(1);
  });
});

describe("version negotiation", () => {
  test.each<[string, Record<string, unknown>, Headers, number, number]>([
    ["an unknown stateless revision: UnsupportedProtocolVersion -32022 with the supported ones, the requested echoed", { "io.modelcontextprotocol/protocolVersion": "v999.0.0" }, { protocolVersion: "v999.0.0", method: "server/discover" }, 400, -32022],
    ["the 2026-07-28 header without the envelope: -32602", { "io.modelcontextprotocol/protocolVersion": undefined, "io.modelcontextprotocol/clientCapabilities": undefined }, { protocolVersion: V, method: "server/discover" }, 400, -32602],
    ["an envelope without clientCapabilities: -32602", { "io.modelcontextprotocol/clientCapabilities": undefined }, { protocolVersion: V, method: "server/discover" }, 400, -32602],
  ])("%s", async (_label, meta, headers, status, code) => {
    const body = { jsonrpc: "2.0", id: 301, method: "server/discover", params: { _meta: JSON.parse(JSON.stringify({ ...META, ...meta })) } };
    const res = await send(body, headers);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ id: 301, error: { code } });
    if (code === -32022) expect(res.body!.error!.data).toEqual({ supported: ["2026-07-28"], requested: "v999.0.0" });
  });

  test.each(["initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"])("%s at 2026-07-28: HTTP 404 and -32601, the id kept", async (method) => {
    const body = request(method, {}, 500);
    const res = await send(body, headersFor(body));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ id: 500, error: { code: -32601 } });
  });

  test("a batch holding a 2026-07-28 request is refused whole (-32600), nothing runs", async () => {
    const res = await send([call("ask.name", {}, 1), call("ask.name", {}, 2)], { protocolVersion: V });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: -32600 } });
    expect(calls).toHaveLength(0);
  });

  test("tools/list is private to the caller (policy-filtered): cacheScope private, no reuse time", async () => {
    const body = request("tools/list");
    const res = await send(body, headersFor(body));
    expect(res.body!.result).toMatchObject({ resultType: "complete", cacheScope: "private", ttlMs: 0, tools: [{ name: "ask.name" }, { name: "task.optional" }] });
  });

  test("tools/list leaves out execution.taskSupport (deleted in 2026-07-28), keeps the rest of a definition", async () => {
    const body = request("tools/list");
    const tools = (await send(body, headersFor(body))).body!.result!.tools as Record<string, unknown>[];
    expect(tools[1]).toEqual({ name: "task.optional", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } });
  });

  test("the session era stays as it was: no resultType, no envelope needed", async () => {
    const res = await send({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { protocolVersion: "2025-11-25" });
    expect(res.body).toMatchObject({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "ask.name" }, { name: "task.optional", execution: { taskSupport: "optional" } }] } });
    expect(res.body!.result!.resultType).toBeUndefined();
  });
});

describe("input_required relay (multi round-trip)", () => {
  async function firstRound(principal = alice) {
    const body = call("ask.name");
    const res = await send(body, headersFor(body), principal);
    return res.body!.result as { resultType: string; inputRequests: unknown; requestState: string; content?: unknown };
  }
  const answer = { user_name: { action: "accept", content: { name: "Ada" } } };

  test("round 1: the upstream's input requests reach the caller under a requestState of the gateway's own, the caller's capabilities went upstream", async () => {
    const result = await firstRound();
    expect(result).toMatchObject({ resultType: "input_required", inputRequests: { user_name: { method: "elicitation/create" } } });
    expect(result.content).toBeUndefined();
    expect(result.requestState).not.toContain("upstream-state-1");
    expect(calls[0]!.round).toEqual({ clientCapabilities: { elicitation: {} } });
  });

  test("round 2: the answers and the upstream's own state go back upstream; each round is its own governed call", async () => {
    const { requestState: state } = await firstRound();
    const body = call("ask.name", { inputResponses: answer, requestState: state }, 2);
    const res = await send(body, headersFor(body));
    expect(res.body!.result).toMatchObject({ resultType: "complete", content: [{ text: "hello Ada (state upstream-state-1)" }] });
    expect(calls).toHaveLength(2);
    expect(calls[1]!.round).toEqual({ clientCapabilities: { elicitation: {} }, inputResponses: answer, requestState: "upstream-state-1" });
  });

  const tamper = (s: string) => `${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
  test.each<[string, (state: string) => { principal: Principal; params: Record<string, unknown> }]>([
    ["a tampered state", (s) => ({ principal: alice, params: { requestState: tamper(s) } })],
    ["a state with a suffix", (s) => ({ principal: alice, params: { requestState: `${s}-TAMPERED` } })],
    ["a state replayed by another subject", (s) => ({ principal: bob, params: { requestState: s } })],
    ["a state replayed in another tenant", (s) => ({ principal: otherTenant, params: { requestState: s } })],
    ["a state replayed with other arguments", (s) => ({ principal: alice, params: { requestState: s, arguments: { q: 2 } } })],
    ["a state that is not a string", () => ({ principal: alice, params: { requestState: { forged: true } } })],
  ])("%s: -32602, nothing reaches the upstream", async (_label, make) => {
    const { requestState: state } = await firstRound();
    const { principal, params } = make(state);
    const body = call("ask.name", { inputResponses: answer, ...params }, 3);
    const res = await send(body, headersFor(body), principal);
    expect(res.body).toMatchObject({ id: 3, error: { code: -32602, message: expect.stringContaining("requestState") } });
    expect(calls).toHaveLength(1);
  });

  test("a state sealed with another key (another deployment) is refused", async () => {
    const foreign = await createRequestStateSealer("another-deployment-secret").seal({ upstream: "x" }, { tenant: "t1", subject: "alice", tool: "ask.name", arguments: { q: 1 } });
    const body = call("ask.name", { inputResponses: answer, requestState: foreign });
    expect((await send(body, headersFor(body))).body).toMatchObject({ error: { code: -32602 } });
    expect(calls).toHaveLength(0);
  });

  test("a state opened on another replica (same HMAC_SECRET) is accepted: nothing is kept between rounds", async () => {
    const { requestState: state } = await firstRound();
    const replica = { gateway, requestState: createRequestStateSealer("stateless-test-secret") };
    const body = call("ask.name", { inputResponses: answer, requestState: state });
    const res = await answerMcp(replica, { text: JSON.stringify(body), headers: headersFor(body) }, alice, new AbortController().signal);
    expect((res.body as RpcBody).result!.resultType).toBe("complete");
  });

  test.each<[string, unknown]>([
    ["null", null],
    ["a number answer", { user_name: 12345 }],
    ["an array", [1]],
    ["too many answers", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, {}]))],
  ])("inputResponses as %s: -32602, nothing runs", async (_label, inputResponses) => {
    const body = call("ask.name", { inputResponses });
    expect((await send(body, headersFor(body))).body).toMatchObject({ error: { code: -32602, message: expect.stringContaining("inputResponses") } });
    expect(calls).toHaveLength(0);
  });

  test("a session-era caller gets an explained tool error, never an in-band request it cannot answer", async () => {
    const res = await send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ask.name", arguments: { q: 1 } } }, { protocolVersion: "2025-11-25" });
    expect(res.body!.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("2026-07-28") }] });
    expect(res.body!.result!.resultType).toBeUndefined();
    expect(calls[0]!.round).toBeUndefined();
  });
});

describe("MissingRequiredClientCapability (-32021) from an upstream", () => {
  test("is answered as the protocol error with HTTP 400 and the capabilities as a ClientCapabilities object", async () => {
    const body = call("needs.sampling", {}, 401);
    const res = await send(body, headersFor(body));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ id: 401, error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } } });
  });

  test("declared, the call runs", async () => {
    const body = call("needs.sampling", { _meta: { "io.modelcontextprotocol/clientCapabilities": { sampling: {} } } });
    expect((await send(body, headersFor(body))).body!.result).toMatchObject({ resultType: "complete" });
  });

  test.each<[string, unknown, Record<string, unknown>]>([
    ["names kept, values emptied", { requiredCapabilities: { sampling: { tools: {} }, elicitation: {} } }, { sampling: {}, elicitation: {} }],
    ["an array is no capability object", { requiredCapabilities: ["sampling"] }, {}],
    ["names of another shape are dropped", { requiredCapabilities: { "<script>": {}, roots: {} } }, { roots: {} }],
    ["at most 16 names", { requiredCapabilities: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`c${i}`, {}])) }, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`c${i}`, {}]))],
    ["no data", undefined, {}],
  ])("the upstream's data, bounded: %s", (_label, data, expected) => {
    expect(requiredCapabilitiesOf(data)).toEqual(expected);
  });
});
