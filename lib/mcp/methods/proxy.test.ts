import { beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth";
import { OfferingNotFoundError, type OfferingsGateway } from "@/lib/enforce/offerings";
import type { ToolCallRound } from "@/lib/enforce/types";
import { answerMcp, type McpGateway } from "../endpoint";
import { createRequestStateSealer } from "../request-state";
import { resourceNotFoundCode } from "../revisions";

// The proxied methods per revision, on a fake gateway: the prompt "ask" answers input_required
// (SEP-2322) until it gets its answer; no resource exists.
const rounds: (ToolCallRound | undefined)[] = [];
const verdict = { decision: "allow" as const, tool: "ask", trace_id: "t", rule: "r", reason: null, policy_version: 1, estimated_cost_usd: 0, cost_known: true };
const offerings = {
  readResource: async (_p: Principal, uri: string) => {
    throw new OfferingNotFoundError("resource", uri);
  },
  getPrompt: async (_p: Principal, _name: string, _args: Record<string, string>, _s?: AbortSignal, round?: ToolCallRound) => {
    rounds.push(round);
    const context = (round?.inputResponses?.ctx as { content?: { context?: string } } | undefined)?.content?.context;
    if (!context) return { verdict, result: { resultType: "input_required" as const, inputRequests: { ctx: { method: "elicitation/create", params: { message: "Context?" } } }, requestState: "upstream-state" } };
    return { verdict, result: { messages: [{ role: "user" as const, content: { type: "text" as const, text: `${context} (${round?.requestState})` } }] } };
  },
} as unknown as OfferingsGateway;
const gateway: McpGateway = { listTools: async () => [], call: async () => ({ verdict }), offerings };
const deps = { gateway, requestState: createRequestStateSealer("proxy-methods-test-secret") };
const alice: Principal = { kind: "token", tenant: "t1", subject: "alice", roles: ["agent"] };
const bob: Principal = { kind: "token", tenant: "t1", subject: "bob", roles: ["agent"] };

const V = "2026-07-28";
const META = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: {} }, "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" } };
type RpcBody = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

async function stateless(method: string, params: Record<string, unknown>, principal = alice): Promise<RpcBody> {
  const body = { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: META } };
  const name = (params.name ?? params.uri) as string;
  return (await answerMcp(deps, { text: JSON.stringify(body), headers: { protocolVersion: V, method, name } }, principal, new AbortController().signal)).body as RpcBody;
}
async function session(method: string, params: Record<string, unknown>, version: string): Promise<RpcBody> {
  return (await answerMcp(deps, { text: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), headers: { protocolVersion: version } }, alice, new AbortController().signal)).body as RpcBody;
}

beforeEach(() => {
  rounds.length = 0;
});

describe("resource not found per revision (SEP-2164)", () => {
  test.each<[string, number]>([
    ["2025-06-18", -32002],
    ["2025-11-25", -32002],
    ["2026-07-28", -32602],
  ])("at %s the code is %d", (revision, code) => {
    expect(resourceNotFoundCode(revision)).toBe(code);
  });

  test.each<[string, () => Promise<RpcBody>, number]>([
    ["a 2025-11-25 session", () => session("resources/read", { uri: "test://nope" }, "2025-11-25"), -32002],
    ["a 2026-07-28 request", () => stateless("resources/read", { uri: "test://nope" }), -32602],
  ])("%s reads an unknown resource: %d, the URI in data", async (_label, send, code) => {
    expect((await send()).error).toMatchObject({ code, data: { uri: "test://nope" } });
  });
});

describe("input_required on prompts/get (SEP-2322)", () => {
  test("round 1 relays the input requests under the gateway's sealed state; round 2 carries the answers and the upstream's state back", async () => {
    const first = (await stateless("prompts/get", { name: "ask" })).result!;
    expect(first).toMatchObject({ resultType: "input_required", inputRequests: { ctx: { method: "elicitation/create" } } });
    expect(first.requestState).not.toContain("upstream-state");
    const answers = { ctx: { action: "accept", content: { context: "the context" } } };
    const second = (await stateless("prompts/get", { name: "ask", inputResponses: answers, requestState: first.requestState })).result!;
    expect(second).toMatchObject({ resultType: "complete", messages: [{ content: { text: "the context (upstream-state)" } }] });
    expect(rounds[1]).toEqual({ clientCapabilities: { elicitation: {} }, inputResponses: answers, requestState: "upstream-state" });
  });

  test.each<[string, (state: string) => [Record<string, unknown>, Principal]]>([
    ["replayed by another subject", (s) => [{ name: "ask", requestState: s }, bob]],
    ["on another prompt", (s) => [{ name: "other", requestState: s }, alice]],
    ["with other arguments", (s) => [{ name: "ask", arguments: { x: "1" }, requestState: s }, alice]],
    ["altered", (s) => [{ name: "ask", requestState: `${s}x` }, alice]],
  ])("a state %s: -32602, nothing reaches the upstream", async (_label, make) => {
    const first = (await stateless("prompts/get", { name: "ask" })).result!;
    const [params, who] = make(first.requestState as string);
    expect((await stateless("prompts/get", { ...params, inputResponses: { ctx: {} } }, who)).error).toMatchObject({ code: -32602, message: expect.stringContaining("requestState") });
    expect(rounds).toHaveLength(1);
  });

  test("a session-era caller gets an error, never an in-band request it cannot answer", async () => {
    const res = await session("prompts/get", { name: "ask" }, "2025-11-25");
    expect(res.error).toMatchObject({ message: expect.stringContaining("2026-07-28") });
    expect(rounds).toEqual([undefined]);
  });
});
