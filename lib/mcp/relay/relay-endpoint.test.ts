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

describe("2026-07-28 (stateless) requests", () => {
  const STATELESS = { ...SSE, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "probe.echo" };
  const envelope = (more: Record<string, unknown> = {}) => ({
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": { elicitation: {}, sampling: {} },
    ...more,
  });
  const logs = (...levels: string[]): Behaviour => async (relay) => {
    for (const level of levels) relay!.notify("notifications/message", { level, data: level });
    return ok("probe.echo", "logged");
  };
  /** Every message of an SSE answer (through the result), or the one JSON answer. */
  async function frames(res: Response): Promise<Record<string, unknown>[]> {
    if (res.headers.get("content-type") !== "text/event-stream") return [(await res.json()) as Record<string, unknown>];
    const s = events(res);
    const all: Record<string, unknown>[] = [];
    for (;;) {
      const m = await s.next();
      all.push(m);
      if ("result" in m || "error" in m) return all;
    }
  }

  it("stream progress under the caller's token, then the stamped result", async () => {
    behaviour = async (relay) => {
      for (const progress of [0, 50, 100]) relay!.notify("notifications/progress", { progressToken: relay!.progressToken!, progress, total: 100 });
      return ok("probe.echo", "done");
    };
    const res = await post(a, call(envelope({ progressToken: "p-26" })), STATELESS);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const all = await frames(res);
    expect(all.slice(0, 3)).toEqual([0, 50, 100].map((progress) => ({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p-26", progress, total: 100 } })));
    expect(all[3]).toMatchObject({ id: 1, result: { resultType: "complete", content: [{ text: "done" }] } });
  });

  it.each([
    { label: "no log level: no log at all (a JSON answer)", level: undefined, sent: ["debug", "info", "emergency"], relayed: [] },
    { label: "warning: warning and above", level: "warning", sent: ["debug", "info", "warning", "error"], relayed: ["warning", "error"] },
    { label: "debug: every level", level: "debug", sent: ["debug", "notice", "alert"], relayed: ["debug", "notice", "alert"] },
    { label: "an unknown message level is withheld", level: "debug", sent: ["loud", "info"], relayed: ["info"] },
  ])("logs follow the request's _meta log level ($label)", async ({ level, sent, relayed }) => {
    behaviour = logs(...sent);
    const meta = envelope(level === undefined ? {} : { "io.modelcontextprotocol/logLevel": level });
    const res = await post(a, call(meta), STATELESS);
    const all = await frames(res);
    expect(all.filter((m) => m.method === "notifications/message").map((m) => (m.params as { level: string }).level)).toEqual(relayed);
    expect(all.at(-1)).toMatchObject({ id: 1, result: { content: [{ text: "logged" }] } });
    if (relayed.length === 0) expect(res.headers.get("content-type")).toBe("application/json");
  });

  it("never put a server→client request on the stream: the upstream hears a refusal", async () => {
    let refusal = "";
    behaviour = async (relay) => {
      relay!.notify("notifications/progress", { progressToken: relay!.progressToken!, progress: 1 });
      refusal = await relay!.request("elicitation/create", { message: "name?", requestedSchema: { type: "object", properties: {} } }).then(
        () => "answered",
        (e: Error) => e.message,
      );
      return ok("probe.echo", "asked in-band instead");
    };
    const all = await frames(await post(a, call(envelope({ progressToken: "p" })), STATELESS));
    expect(refusal).toMatch(/2026-07-28.*input_required/);
    expect(all.filter((m) => typeof m.method === "string" && !(m.method as string).startsWith("notifications/"))).toEqual([]);
    expect(all.at(-1)).toMatchObject({ id: 1, result: { content: [{ text: "asked in-band instead" }] } });
  });

  it("a pending approval is not asked through the stream (2026-07-28 asks with input_required)", async () => {
    let asked = false;
    behaviour = async (relay) => {
      await relay!.approvalPending?.({ id: "appr_1" } as never, "probe.echo");
      relay!.approvalSettled?.("appr_1");
      asked = true;
      return ok("probe.echo");
    };
    const res = await post(a, call(envelope()), STATELESS);
    expect(asked).toBe(true);
    expect(res.headers.get("content-type")).toBe("application/json");
  });

  it("a client that does not accept SSE gets JSON and no relay", async () => {
    let seen: CallRelay | undefined = {} as CallRelay;
    behaviour = async (relay) => ((seen = relay), ok("probe.echo"));
    const res = await post(a, call(envelope({ progressToken: "p" })), { ...STATELESS, accept: "application/json" });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(seen).toBeUndefined();
  });

  it("an error answered before anything was relayed keeps its HTTP status (-32021 is a 400)", async () => {
    behaviour = async () => {
      throw Object.assign(new Error("the tool needs sampling"), { code: "missing_client_capability", requiredCapabilities: { sampling: {} } });
    };
    const res = await post(a, call(envelope()), STATELESS);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 1, error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } } });
  });
});

describe("logging/setLevel in a session", () => {
  // setLevel is checked as a proxied method: the caller needs an upstream that offers logging.
  const logging: McpGateway = { ...gateway, offerings: {} as NonNullable<McpGateway["offerings"]> };
  const setLevel = (svc: RelayServices, sessionId: string, level: unknown) =>
    handleMcpRequest(
      new Request("http://test/api/mcp", { method: "POST", headers: { "content-type": "application/json", "mcp-session-id": sessionId }, body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "logging/setLevel", params: { level } }) }),
      agent,
      { gateway: logging, requestState, relay: svc },
    );
  async function relayedLevels(svc: RelayServices, sessionId: string, sent: string[]): Promise<string[]> {
    behaviour = async (relay) => {
      for (const level of sent) relay!.notify("notifications/message", { level, data: level });
      return ok("probe.echo", "logged");
    };
    const res = await post(svc, call(), { ...SSE, "mcp-session-id": sessionId });
    if (res.headers.get("content-type") !== "text/event-stream") return [];
    const s = events(res);
    const levels: string[] = [];
    for (;;) {
      const m = await s.next();
      if ("result" in m || "error" in m) return levels;
      if (m.method === "notifications/message") levels.push((m.params as { level: string }).level);
    }
  }

  it.each([
    { label: "no level set: every message", set: undefined, relayed: ["debug", "info", "warning", "error"] },
    { label: "warning: warning and above, on the other replica too", set: "warning", relayed: ["warning", "error"] },
    { label: "emergency: none of these", set: "emergency", relayed: [] },
  ])("$label", async ({ set, relayed }) => {
    const id = await session({});
    if (set) expect(await (await setLevel(a, id, set)).json()).toEqual({ jsonrpc: "2.0", id: 9, result: {} });
    expect(await relayedLevels(b, id, ["debug", "info", "warning", "error"])).toEqual(relayed);
  });

  it("a level is the session's own: another session still gets every message", async () => {
    const quiet = await session({});
    const chatty = await session({});
    await setLevel(a, quiet, "error");
    expect(await relayedLevels(a, chatty, ["debug", "error"])).toEqual(["debug", "error"]);
    expect(await relayedLevels(a, quiet, ["debug", "error"])).toEqual(["error"]);
  });

  it("a level that is not one is refused (-32602) and changes nothing", async () => {
    const id = await session({});
    await setLevel(a, id, "warning");
    expect(await (await setLevel(a, id, "silent")).json()).toMatchObject({ id: 9, error: { code: -32602 } });
    expect(await relayedLevels(a, id, ["info", "warning"])).toEqual(["warning"]);
  });
});
