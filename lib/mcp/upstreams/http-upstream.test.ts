import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as LowLevelServer } from "@modelcontextprotocol/sdk/server/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { parseUpstreamsConfig } from "./config";
import { UpstreamCallError, UpstreamTimeoutError, UpstreamUnavailableError } from "./errors";
import { UpstreamRegistry } from "./registry";

const TOKEN = "t0ps3cret-upstream-token";

/** A tiny MCP server over Streamable HTTP that insists on a bearer token and counts calls. */
async function startUpstream(port = 0, kind: "mcp-server" | "low-level" = "mcp-server") {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const seen = { authorizations: [] as (string | undefined)[], calls: 0 };

  // A server that answers tools/call with JSON-RPC errors, as older or stricter servers do.
  const lowLevel = () => {
    const server = new LowLevelServer({ name: "strict", version: "1.0.0" }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: "close_ticket", inputSchema: { type: "object" as const } }] }));
    server.setRequestHandler(CallToolRequestSchema, async () => {
      throw new McpError(ErrorCode.InvalidParams, "ticket id required");
    });
    return server;
  };

  const mcpServer = () => {
    if (kind === "low-level") return lowLevel();
    const server = new McpServer({ name: "tickets", version: "1.0.0" });
    server.registerTool(
      "create_ticket",
      { description: "Open a ticket", inputSchema: { title: z.string(), priority: z.enum(["low", "high"]).optional() } },
      async ({ title, priority }) => {
        seen.calls++;
        return { content: [{ type: "text", text: `created "${title}" (${priority ?? "low"})` }] };
      },
    );
    server.registerTool("slow", { description: "Sleeps", inputSchema: { ms: z.number() } }, async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { content: [{ type: "text", text: "done" }] };
    });
    return server;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    seen.authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end("unauthorized");
      return;
    }
    const sid = req.headers["mcp-session-id"];
    let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
        return;
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, t),
      });
      t.onclose = () => t.sessionId && sessions.delete(t.sessionId);
      await mcpServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  };

  const http: Server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((r) => http.listen(port, "127.0.0.1", r));
  const actual = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/mcp`,
    port: actual,
    seen,
    async stop() {
      for (const t of sessions.values()) await t.close().catch(() => {});
      sessions.clear();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

const registryFor = (url: string, secrets: Record<string, string>) =>
  new UpstreamRegistry(
    parseUpstreamsConfig(`
servers:
  - name: tickets
    transport: http
    url: ${url}
    headers: { Authorization: "Bearer \${TICKETS_TOKEN}", X-Team: platform }
    timeout_ms: 5000
    facts: { body: title }
    tools:
      create_ticket: { aliases: [tickets.create], keep_original: true }
`),
    { baseDir: process.cwd(), resolveSecret: (n) => secrets[n], connectTimeoutMs: 2_000, backoff: { initialMs: 20, maxMs: 100 } },
  );

const text = (r: { content: unknown }) => (r.content as { text: string }[]).map((c) => c.text).join("");

describe("HTTP upstream (Streamable HTTP)", () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let registry: UpstreamRegistry;

  beforeAll(async () => {
    upstream = await startUpstream();
    registry = registryFor(upstream.url, { TICKETS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await registry.close();
    await upstream.stop();
  });

  test("lists the tools with alias and original name, sending the resolved secret header", async () => {
    const { tools, errors } = await registry.listTools();
    expect(errors).toEqual([]);
    expect(tools.map((t) => t.name).sort()).toEqual(["tickets.create", "tickets.create_ticket", "tickets.slow"]);
    expect(tools.find((t) => t.name === "tickets.create")).toMatchObject({ upstreamTool: "create_ticket", description: "Open a ticket", facts: { body: "title" }, timeoutMs: 5000 });
    expect(upstream.seen.authorizations.every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
    expect(registry.factMaps()).toEqual({ "tickets.*": { body: "title" } });
  });

  test("calls a tool under either name", async () => {
    expect(text(await registry.callTool("tickets.create", { title: "disk full", priority: "high" }))).toBe('created "disk full" (high)');
    expect(text(await registry.callTool("tickets.create_ticket", { title: "printer" }))).toBe('created "printer" (low)');
  });

  test("invalid arguments come back as the upstream's tool error result", async () => {
    const r = await registry.callTool("tickets.create", { title: 42 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Input validation error/);
  });

  test("a slow tool times out with UpstreamTimeoutError", async () => {
    const err = await registry.callTool("tickets.slow", { ms: 2_000 }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect(err).toMatchObject({ message: "upstream tickets did not answer slow within 200 ms", upstream: "tickets", tool: "slow", timeoutMs: 200 });
  });

  test("a caller's abort signal cancels the call", async () => {
    const controller = new AbortController();
    const call = registry.callTool("tickets.slow", { ms: 2_000 }, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error("agent went away")), 50);
    expect(await call).toMatchObject({ message: "agent went away" });
  });

  test("a wrong credential fails to connect with a clear error", async () => {
    const bad = registryFor(upstream.url, { TICKETS_TOKEN: "wrong" });
    const err = await bad.callTool("tickets.create", { title: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    // The status code, not the upstream's answer body.
    expect((err as Error).message).toBe("upstream tickets is unavailable: failed to start: HTTP 401");
    await bad.close();
  });

  test("an upstream restart (session lost) fails the in-between call, then reconnects", async () => {
    await registry.callTool("tickets.create", { title: "before" });
    const port = upstream.port;
    await upstream.stop();
    const down = await registry.callTool("tickets.create", { title: "while down" }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(UpstreamUnavailableError);
    expect((down as Error).message).toMatch(/^upstream tickets failed during create_ticket: .*; the next call reconnects$/);

    upstream = await startUpstream(port);
    // The first attempt after a failure is immediate; a refused connect backs off briefly.
    await expect.poll(async () => registry.callTool("tickets.create", { title: "after" }).then(text, (e: Error) => e.message), { timeout: 5_000, interval: 150 }).toBe('created "after" (low)');
    expect(upstream.seen.calls).toBe(1);
  });
});

describe("JSON-RPC errors from the upstream", () => {
  test("are UpstreamCallError with the upstream's code and message", async () => {
    const upstream = await startUpstream(0, "low-level");
    const registry = registryFor(upstream.url, { TICKETS_TOKEN: TOKEN });
    try {
      const err = await registry.callTool("tickets.close_ticket", {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamCallError);
      expect(err).toMatchObject({ code: -32602, upstream: "tickets", tool: "close_ticket" });
      expect((err as Error).message).toBe("upstream tickets refused close_ticket (JSON-RPC error -32602): ticket id required");
      // The connection is fine: a refusal is an answer, not a failure.
      expect(registry.status()[0]).toMatchObject({ state: "ready", consecutiveFailures: 0 });
    } finally {
      await registry.close();
      await upstream.stop();
    }
  });
});

describe("what a failing upstream answers is never reflected", () => {
  test.each([
    [500, "text/plain", "db password is hunter2 (internal service)", "HTTP 500"],
    [404, "text/html", "<h1>admin console of 10.0.0.7</h1>", "HTTP 404"],
    [200, "text/html", "<html>internal wiki: salaries</html>", "an answer that is not MCP over Streamable HTTP"],
  ])("HTTP %s (%s): the caller and last_error see the category only", async (status, type, body, category) => {
    const server: Server = createServer((_req, res) => void res.writeHead(status, { "content-type": type }).end(body));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const events: { detail?: string }[] = [];
    const registry = new UpstreamRegistry(parseUpstreamsConfig(`servers:\n  - { name: internal, transport: http, url: "${url}" }\n`), {
      baseDir: process.cwd(),
      resolveSecret: () => undefined,
      connectTimeoutMs: 2_000,
      onEvent: (e) => events.push(e),
    });
    try {
      const err = await registry.callTool("internal.anything", {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamUnavailableError);
      expect((err as Error).message).toBe(`upstream internal is unavailable: failed to start: ${category}`);
      expect(registry.status()[0].lastError).toBe(`failed to start: ${category}`);
      // The operator's log keeps the detail.
      expect(events.some((e) => e.detail?.includes(body) || e.detail?.includes(type))).toBe(true);
    } finally {
      await registry.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
