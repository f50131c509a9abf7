import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PooledHttpClient, SseParser } from "./http-pool-client";

interface Seen {
  method: string;
  headers: IncomingMessage["headers"];
  body: { id?: number; method?: string; params?: Record<string, unknown> };
}

let server: Server;
let url: string;
const seen: Seen[] = [];
const sockets = new Set<unknown>();
const hanging = new Set<ServerResponse>();

async function readBody(req: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Answers by tool name: json, sse (a progress notification first), slow (never answers), status (HTTP 404). */
async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  seen.push({ method: req.method!, headers: req.headers, body });
  if (!("id" in body)) return void res.writeHead(202).end();
  const tool = body.params?.name;
  const reply = { jsonrpc: "2.0", id: body.id, result: { content: [{ type: "text", text: `${tool}:${JSON.stringify(body.params?.arguments)}` }] } };
  if (tool === "json") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
  if (tool === "rpc-error") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: body.id, error: { code: -32602, message: "ticket id required" } }));
  if (tool === "status") return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Session not found"}');
  if (tool === "sse") {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } })}\n\n`);
    // The response split over two chunks, with CRLF line ends.
    const text = JSON.stringify(reply);
    res.write(`event: message\r\ndata: ${text.slice(0, 10)}`);
    setTimeout(() => res.end(`${text.slice(10)}\r\n\r\n`), 5);
    return;
  }
  hanging.add(res); // "slow": never answers
  res.on("close", () => hanging.delete(res));
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (client: PooledHttpClient, name: string, extra: Partial<Parameters<PooledHttpClient["request"]>[2]> = {}) =>
  client.request("tools/call", { name, arguments: { n: 1 } }, { timeoutMs: 2_000, sessionId: "sess-1", protocolVersion: "2025-06-18", ...extra });

describe("PooledHttpClient", () => {
  test.each([
    { label: "JSON answer", tool: "json" },
    { label: "SSE answer after a notification, split across chunks", tool: "sse" },
  ])("$label: the result, session id and revision headers sent", async ({ tool }) => {
    const client = new PooledHttpClient({ url, headers: { authorization: "Bearer up" } });
    const messages: unknown[] = [];
    const result = await call(client, tool, { onMessage: (m) => messages.push(m) });
    expect(result).toEqual({ content: [{ type: "text", text: `${tool}:{"n":1}` }] });
    const last = seen.at(-1)!;
    expect(last.headers).toMatchObject({ authorization: "Bearer up", "mcp-session-id": "sess-1", "mcp-protocol-version": "2025-06-18", accept: "application/json, text/event-stream" });
    expect(messages).toEqual(tool === "sse" ? [{ jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } }] : []);
    await client.close();
  });

  test("keeps sockets alive: 50 sequential calls reuse a connection or two, not 50", async () => {
    const agent = new Agent({ keepAliveTimeout: 10_000 });
    const client = new PooledHttpClient({ url, dispatcher: agent });
    const before = sockets.size;
    for (let i = 0; i < 50; i++) await call(client, "json");
    // A socket can be briefly busy with the end of the previous answer, so a second may open.
    expect(sockets.size - before).toBeLessThanOrEqual(2);
    await agent.close();
  });

  test.each([
    { label: "a JSON-RPC error answer is an McpError with its code", tool: "rpc-error", check: (e: unknown) => e instanceof McpError && e.code === -32602 && /ticket id required/.test(e.message) },
    { label: "an HTTP failure status is a StreamableHTTPError with the status", tool: "status", check: (e: unknown) => e instanceof StreamableHTTPError && e.code === 404 },
  ])("$label", async ({ tool, check }) => {
    const client = new PooledHttpClient({ url });
    const err = await call(client, tool).catch((e: unknown) => e);
    expect(check(err)).toBe(true);
    await client.close();
  });

  test("timeout: RequestTimeout, the server is told to cancel, and the call's socket is freed", async () => {
    const client = new PooledHttpClient({ url });
    const err = await call(client, "slow", { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.RequestTimeout);
    const id = seen.findLast((s) => s.body.params?.name === "slow")!.body.id;
    await expect.poll(() => seen.some((s) => s.body.method === "notifications/cancelled" && s.body.params?.requestId === id)).toBe(true);
    await expect.poll(() => hanging.size).toBe(0);
    await client.close();
  });

  test("cancel: the caller's abort reason, a cancel notification, and no listener left on the caller's signal", async () => {
    const client = new PooledHttpClient({ url });
    const caller = new AbortController();
    // Many calls on one long-lived signal must not pile listeners on it.
    for (let i = 0; i < 30; i++) await call(client, "json", { signal: caller.signal });
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    const pending = call(client, "slow", { signal: caller.signal, timeoutMs: 10_000 });
    await expect.poll(() => hanging.size).toBe(1);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(1);
    const reason = new Error("agent went away");
    caller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    await expect.poll(() => hanging.size).toBe(0);
    await expect.poll(() => seen.some((s) => s.body.method === "notifications/cancelled" && s.body.params?.reason === "the caller cancelled")).toBe(true);
    await client.close();
  });

  test("an already aborted signal sends nothing", async () => {
    const client = new PooledHttpClient({ url });
    const n = seen.length;
    await expect(call(client, "json", { signal: AbortSignal.abort(new Error("gone")) })).rejects.toThrow("gone");
    expect(seen.length).toBe(n);
    await client.close();
  });

  test("an answer past maxResponseBytes is refused", async () => {
    const client = new PooledHttpClient({ url, maxResponseBytes: 20 });
    await expect(call(client, "json")).rejects.toBeInstanceOf(StreamableHTTPError);
    await client.close();
  });
});

describe("SseParser", () => {
  test.each([
    { label: "LF events", input: ["data: a\n\ndata: b\n\n"], events: ["a", "b"] },
    { label: "CRLF split mid-line", input: ["data: x", "y\r", "\n\r\n"], events: ["xy"] },
    { label: "multi-line data joined, other fields ignored", input: ["event: message\nid: 3\ndata: 1\ndata: 2\n: comment\n\n"], events: ["1\n2"] },
    { label: "no data, no event", input: ["event: ping\n\n"], events: [] },
  ])("$label", ({ input, events }) => {
    const p = new SseParser();
    expect(input.flatMap((chunk) => [...p.push(chunk)])).toEqual(events);
  });
});
