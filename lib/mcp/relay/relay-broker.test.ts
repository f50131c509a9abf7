import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryKv } from "@/lib/redis";
import { createRelayBroker, RELAY_ID_PREFIX, type RelayRefusal } from "./relay-broker";
import type { RpcMessage } from "./types";

const alice = { tenant: "t1", subject: "alice" };

function replicas(timeoutMs = 5_000) {
  const kv = memoryKv();
  const refused: RelayRefusal[] = [];
  const a = createRelayBroker({ kv, timeoutMs, replicaId: "a", onRefused: (r) => refused.push(r) });
  const b = createRelayBroker({ kv, timeoutMs, replicaId: "b", onRefused: (r) => refused.push(r) });
  return { kv, a, b, refused };
}

/** Starts an ask on `broker` and resolves with the request the caller's stream received. */
async function asked(broker: ReturnType<typeof createRelayBroker>, signal?: AbortSignal) {
  let sent!: (m: RpcMessage) => void;
  const request = new Promise<RpcMessage>((resolve) => (sent = resolve));
  const answer = broker.ask(alice, "sampling/createMessage", { maxTokens: 5 }, (m) => (sent(m), true), signal);
  answer.catch(() => {});
  return { request: await request, answer };
}

describe("relay broker", () => {
  afterEach(() => vi.useRealTimers());

  it.each([
    ["on the replica that holds the request", "a"],
    ["on another replica (routed through the KV store's pub/sub)", "b"],
  ] as const)("a caller's answer received %s settles the request", async (_label, receiver) => {
    const r = replicas();
    const { request, answer } = await asked(r.a);
    expect(request).toMatchObject({ jsonrpc: "2.0", method: "sampling/createMessage", params: { maxTokens: 5 } });
    expect(String(request.id).startsWith(RELAY_ID_PREFIX)).toBe(true);
    expect(await r[receiver].deliver(alice, { jsonrpc: "2.0", id: request.id, result: { content: { type: "text", text: "hi" } } })).toBe(true);
    await expect(answer).resolves.toEqual({ content: { type: "text", text: "hi" } });
    expect(r.a.pendingCount()).toBe(0);
  });

  it.each([
    ["another subject of the same tenant", { tenant: "t1", subject: "mallory" }, true],
    ["the same subject name in another tenant", { tenant: "t2", subject: "alice" }, false],
  ])("refuses an answer from %s, reports it, and keeps waiting for the owner", async (_label, by, sameTenant) => {
    const r = replicas();
    const { request, answer } = await asked(r.a);
    await expect(r.b.deliver(by, { jsonrpc: "2.0", id: request.id, result: { forged: true } })).rejects.toMatchObject({ status: 403 });
    expect(r.refused).toEqual([{ correlationId: request.id, method: "sampling/createMessage", owner: alice, by }]);
    expect(r.refused[0]!.owner.tenant === by.tenant).toBe(sameTenant);
    expect(r.a.pendingCount()).toBe(1);
    await r.b.deliver(alice, { jsonrpc: "2.0", id: request.id, result: { ok: 1 } });
    await expect(answer).resolves.toEqual({ ok: 1 });
  });

  it("single use: a second answer finds nothing waiting", async () => {
    const r = replicas();
    const { request, answer } = await asked(r.a);
    await r.a.deliver(alice, { jsonrpc: "2.0", id: request.id, result: {} });
    await answer;
    await expect(r.b.deliver(alice, { jsonrpc: "2.0", id: request.id, result: {} })).rejects.toMatchObject({ status: 404 });
  });

  it("a response whose id is not a relayed request's is not the broker's", async () => {
    const r = replicas();
    expect(await r.a.deliver(alice, { jsonrpc: "2.0", id: 7, result: {} })).toBe(false);
    expect(await r.a.deliver(alice, { jsonrpc: "2.0", id: "other-7", result: {} })).toBe(false);
  });

  it("the caller's JSON-RPC error becomes an McpError with its code", async () => {
    const r = replicas();
    const { request, answer } = await asked(r.a);
    await r.b.deliver(alice, { jsonrpc: "2.0", id: request.id, error: { code: -1, message: "User rejected sampling request" } });
    await expect(answer).rejects.toMatchObject({ code: -1, message: expect.stringContaining("User rejected") });
  });

  it("times out with RequestTimeout naming the setting, and forgets the request", async () => {
    vi.useFakeTimers();
    const r = replicas(2_000);
    const { request, answer } = await asked(r.a);
    await vi.advanceTimersByTimeAsync(2_000);
    const err = await answer.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: ErrorCode.RequestTimeout, message: expect.stringContaining("MCP_CLIENT_REQUEST_TIMEOUT_MS") });
    expect(r.a.pendingCount()).toBe(0);
    await expect(r.a.deliver(alice, { jsonrpc: "2.0", id: request.id, result: {} })).rejects.toMatchObject({ status: 404 });
  });

  it("the call's abort ends the wait with its reason", async () => {
    const r = replicas();
    const ac = new AbortController();
    const { answer } = await asked(r.a, ac.signal);
    ac.abort(new Error("the call ended"));
    await expect(answer).rejects.toThrow("the call ended");
    expect(r.a.pendingCount()).toBe(0);
  });

  it("a closed stream fails the request at once", async () => {
    const r = replicas();
    await expect(r.a.ask(alice, "roots/list", {}, () => false)).rejects.toThrow(/stream is closed/);
    expect(r.a.pendingCount()).toBe(0);
  });
});
