import { afterEach, describe, expect, it } from "vitest";
import type { Principal } from "@/lib/auth";
import type { CallOutcome } from "@/lib/enforce/types";
import { memoryKv } from "@/lib/redis";
import { handleMcpRequest, type McpGateway } from "../endpoint";
import { createRequestStateSealer } from "../request-state";
import { createRelayBroker } from "./relay-broker";
import type { RelayServices } from "./request-relay";
import type { CallRelay } from "./types";
import { sseMessages as events } from "./testing";

/**
 * /mcp with the relay, end to end through handleMcpRequest (the Next route's core; the data plane
 * shares answerMcp): two "replicas" share one KV store, so a client's answer may reach either.
 */
const agent: Principal = { kind: "token", tenant: "t1", subject: "agent", roles: ["agent"] };
const mallory: Principal = { kind: "token", tenant: "t1", subject: "mallory", roles: ["agent"] };
const ok = (tool: string, text = "ok"): CallOutcome => ({
  verdict: { decision: "allow", tool, trace_id: "t", rule: "r", reason: null, policy_version: 1, estimated_cost_usd: 0, cost_known: true },
  result: { content: [{ type: "text", text }] },
});

type Behaviour = (relay: CallRelay | undefined, signal: AbortSignal | undefined) => Promise<CallOutcome>;
let behaviour: Behaviour = async () => ok("probe.echo");
const gateway: McpGateway = { listTools: async () => [], call: (_p, call, signal, relay) => behaviour(relay, signal).then((o) => ({ ...o, verdict: { ...o.verdict, tool: call.tool } })) };

const requestState = createRequestStateSealer("relay-endpoint-test-secret");
const kv = memoryKv();
const replica = (id: string): RelayServices => ({ broker: createRelayBroker({ kv, timeoutMs: 5_000, replicaId: id }), sessionSecret: "x".repeat(43), consoleUrl: "https://canopy.example.com", now: () => Date.now(), kv });
const a = replica("a");
const b = replica("b");
afterEach(() => {
  behaviour = async () => ok("probe.echo");
});

const SSE = { accept: "application/json, text/event-stream" };
function post(svc: RelayServices, body: unknown, headers: Record<string, string> = {}, who = agent, signal?: AbortSignal) {
  return handleMcpRequest(new Request("http://test/api/mcp", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) }), who, { gateway, requestState, relay: svc });
}
const call = (meta?: Record<string, unknown>) => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "probe.echo", arguments: {}, ...(meta ? { _meta: meta } : {}) } });

async function session(caps: Record<string, unknown>) {
  const res = await post(a, { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: caps, clientInfo: { name: "t", version: "1" } } });
  expect(res.status).toBe(200);
  return res.headers.get("mcp-session-id")!;
}

describe("answers", () => {
  it.each([
    ["no Accept header (seed 000's curl)", {}],
    ["Accept without text/event-stream", { accept: "application/json" }],
    ["text/event-stream refused with q=0", { accept: "application/json, text/event-stream;q=0" }],
  ])("stay JSON for %s, and nothing is relayed", async (_label, headers) => {
    let seen: CallRelay | undefined = {} as CallRelay;
    behaviour = async (relay) => ((seen = relay), ok("probe.echo"));
    const res = await post(a, call({ progressToken: "p" }), headers);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(seen).toBeUndefined();
  });

  it("stay JSON for an SSE-capable client when nothing was relayed", async () => {
    const res = await post(a, call(), SSE);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "ok" }] } });
  });

  it("stream progress (under the caller's token) and logs, then the result", async () => {
    behaviour = async (relay) => {
      relay!.notify("notifications/progress", { progressToken: relay!.progressToken!, progress: 1, total: 2 });
      relay!.notify("notifications/message", { level: "info", data: "working" });
      return ok("probe.echo", "done");
    };
    const res = await post(a, call({ progressToken: "caller-token" }), SSE);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const s = events(res);
    expect(await s.next()).toEqual({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "caller-token", progress: 1, total: 2 } });
    expect(await s.next()).toEqual({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } });
    expect(await s.next()).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "done" }] } });
  });

  it("the client going away aborts the call under it", async () => {
    let aborted!: () => void;
    const gone = new Promise<void>((resolve) => (aborted = resolve));
    behaviour = async (relay, signal) => {
      relay!.notify("notifications/message", { level: "info", data: "started" });
      await new Promise<void>((resolve) => signal!.addEventListener("abort", () => resolve(), { once: true }));
      aborted();
      return ok("probe.echo");
    };
    const res = await post(a, call(), SSE);
    const s = events(res);
    await s.next();
    await s.cancel();
    await gone;
  });
});

describe("server→client requests", () => {
  it.each([
    ["the same replica", a],
    ["the other replica", b],
  ])("reach the caller on its stream; its answer, POSTed to %s, completes the call", async (_label, receiver) => {
    behaviour = async (relay) => {
      const r = await relay!.request("sampling/createMessage", { messages: [], maxTokens: 10 });
      return ok("probe.echo", `LLM said ${JSON.stringify(r)}`);
    };
    const s = events(await post(a, call(), SSE));
    const req = await s.next();
    expect(req).toMatchObject({ jsonrpc: "2.0", method: "sampling/createMessage", params: { maxTokens: 10 } });
    const answered = await post(receiver, { jsonrpc: "2.0", id: req.id, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } });
    expect(answered.status).toBe(202);
    expect(await s.next()).toMatchObject({ id: 1, result: { content: [{ text: expect.stringContaining('"hi"') }] } });
  });

  it("refuse another principal's answer (403) and keep waiting for the caller's", async () => {
    behaviour = async (relay) => ok("probe.echo", JSON.stringify(await relay!.request("roots/list", {})));
    const s = events(await post(a, call(), SSE));
    const req = await s.next();
    // Thrown as the error envelope's 403 (the route wrapper and the data plane render it).
    await expect(post(b, { jsonrpc: "2.0", id: req.id, result: { roots: [{ uri: "file:///etc" }] } }, {}, mallory)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(await post(b, { jsonrpc: "2.0", id: req.id, result: { roots: [] } }).then((r) => r.status)).toBe(202);
    expect(await s.next()).toMatchObject({ result: { content: [{ text: '{"roots":[]}' }] } });
  });

  it("are refused at once when the session says the client cannot answer them", async () => {
    const sid = await session({ elicitation: { form: {} } });
    let refusal = "";
    behaviour = async (relay) => {
      refusal = await relay!.request("sampling/createMessage", {}).then(
        () => "answered",
        (e: Error) => e.message,
      );
      return ok("probe.echo");
    };
    const res = await post(a, call(), { ...SSE, "mcp-session-id": sid });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(refusal).toMatch(/did not declare the sampling capability/);
  });
});

describe("sessions", () => {
  it("initialize issues a signed id that any replica accepts for its owner only", async () => {
    const sid = await session({});
    expect((await post(b, { jsonrpc: "2.0", id: 2, method: "ping" }, { "mcp-session-id": sid })).status).toBe(200);
    const other = await post(b, { jsonrpc: "2.0", id: 2, method: "ping" }, { "mcp-session-id": sid }, mallory);
    expect(other.status).toBe(404);
    expect((await post(a, { jsonrpc: "2.0", id: 2, method: "ping" }, { "mcp-session-id": `${sid.split(".")[0]}.forged` })).status).toBe(404);
  });
});

describe("approvals in the chat", () => {
  const info = { id: "appr_9", status: "pending", approvals: 0, required_approvals: 2, approver_group: null, expires_at: "2026-01-01T00:00:00.000Z", retry: "…" } as const;
  const pendingCall: Behaviour = async (relay) => {
    await relay!.approvalPending!(info as never, "fs.write");
    relay!.approvalSettled!("appr_9");
    return ok("fs.write", "written");
  };

  it("a client with URL-mode elicitation is asked to open the approval's page, then told it is complete", async () => {
    const sid = await session({ elicitation: { url: {} } });
    behaviour = pendingCall;
    const s = events(await post(a, call(), { ...SSE, "mcp-session-id": sid }));
    const req = await s.next();
    expect(req).toMatchObject({ method: "elicitation/create", params: { mode: "url", elicitationId: "canopy-approval-appr_9", url: "https://canopy.example.com/approvals?id=appr_9" } });
    expect((req.params as object)).not.toHaveProperty("requestedSchema");
    await post(b, { jsonrpc: "2.0", id: req.id, result: { action: "accept" } });
    expect(await s.next()).toEqual({ jsonrpc: "2.0", method: "notifications/elicitation/complete", params: { elicitationId: "canopy-approval-appr_9" } });
    expect(await s.next()).toMatchObject({ id: 1, result: { content: [{ text: "written" }] } });
  });

  it.each([
    ["form mode only", { elicitation: { form: {} } }],
    ["no elicitation", { sampling: {} }],
  ])("a client with %s is never asked (no form question about an approval)", async (_label, caps) => {
    const sid = await session(caps);
    behaviour = pendingCall;
    const res = await post(a, call(), { ...SSE, "mcp-session-id": sid });
    expect(res.headers.get("content-type")).toBe("application/json");
  });
});
