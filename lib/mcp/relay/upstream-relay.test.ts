import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { CallRelay } from "./types";
import { answerUpstreamRequest, callStreamHandler, InflightRelays } from "./upstream-relay";

function fakeRelay(progressToken?: string | number, answer: () => Promise<Record<string, unknown>> = async () => ({ ok: true })) {
  const notified: [string, Record<string, unknown>][] = [];
  const asked: string[] = [];
  const relay: CallRelay = {
    progressToken,
    notify: (m, p) => void notified.push([m, p]),
    request: (m) => (asked.push(m), answer()),
  };
  return { relay, notified, asked };
}

describe("an upstream call's own stream", () => {
  it("progress under the gateway's token reaches the caller under the caller's; other tokens and other notifications do not", () => {
    const f = fakeRelay("caller-1");
    const handle = callStreamHandler(f.relay, "gw-token", () => {});
    handle({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "gw-token", progress: 5 } });
    handle({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "someone-else", progress: 6 } });
    handle({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } });
    handle({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    expect(f.notified).toEqual([
      ["notifications/progress", { progressToken: "caller-1", progress: 5 }],
      ["notifications/message", { level: "info", data: "x" }],
    ]);
  });

  it("a request is asked of the caller and its answer goes back to the upstream under the upstream's id", async () => {
    const f = fakeRelay(undefined, async () => ({ action: "accept", content: { a: 1 } }));
    const answered = new Promise((resolve) => callStreamHandler(f.relay, undefined, resolve)({ jsonrpc: "2.0", id: 42, method: "elicitation/create", params: { message: "?" } }));
    expect(await answered).toEqual({ jsonrpc: "2.0", id: 42, result: { action: "accept", content: { a: 1 } } });
  });

  it.each([
    ["a method the gateway does not relay", "tasks/get", async () => ({}), ErrorCode.MethodNotFound],
    ["the caller's refusal", "sampling/createMessage", async () => Promise.reject(new McpError(-1, "User rejected")), -1],
    ["a relay failure", "roots/list", async () => Promise.reject(new Error("stream gone")), ErrorCode.InternalError],
  ])("%s answers the upstream with an error", async (_label, method, answer, code) => {
    const f = fakeRelay(undefined, answer);
    const r = await answerUpstreamRequest(f.relay, method, {});
    expect(r).toMatchObject({ error: { code } });
  });
});

describe("calls in flight on one connection (stdio)", () => {
  it("routes to the one call in flight when it is relayed; to nobody when there are none or several", () => {
    const inflight = new InflightRelays();
    expect(() => inflight.target("sampling/createMessage")).toThrow(/outside any relayed tool call/);
    const one = fakeRelay().relay;
    const leaveOne = inflight.enter(one);
    expect(inflight.target("sampling/createMessage")).toBe(one);
    const leavePlain = inflight.enter();
    expect(inflight.only()).toBeUndefined();
    expect(() => inflight.target("elicitation/create")).toThrow(/2 calls are in flight/);
    leavePlain();
    leavePlain();
    expect(inflight.only()).toBe(one);
    leaveOne();
    expect(inflight.size).toBe(0);
    const leaveUnrelayed = inflight.enter();
    expect(() => inflight.target("roots/list")).toThrow(/outside any relayed tool call/);
    leaveUnrelayed();
  });
});
