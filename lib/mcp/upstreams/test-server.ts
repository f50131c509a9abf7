import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/**
 * Test helper: a tiny MCP server over Streamable HTTP that insists on a bearer token, labels its
 * answers (to tell two upstreams apart) and counts sessions opened and ended, and calls.
 */
export async function startTestUpstream(opts: { token: string; label: string; extraTools?: string[]; richTools?: boolean; offerings?: boolean }) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  /** reads, gets, completions: every request for a resource, prompt or completion that reached this upstream. */
  const seen = { authorizations: [] as (string | undefined)[], calls: 0, sessionsOpened: 0, sessionsEnded: 0, reads: [] as string[], gets: [] as string[], completions: 0 };

  const mcpServer = () => {
    const server = new McpServer({ name: opts.label, version: "1.0.0" }, opts.offerings ? { capabilities: { logging: {} } } : undefined);
    if (opts.offerings) {
      // Resources, a template and prompts, one of each kind a policy would deny: the probe counts what reaches it.
      const doc = (name: string, uri: string) =>
        server.registerResource(name, uri, { description: `${name} of ${opts.label}`, mimeType: "text/plain" }, async (u) => {
          seen.reads.push(u.href);
          return { contents: [{ uri: u.href, mimeType: "text/plain", text: `${opts.label}: ${name}` }] };
        });
      doc("readme", "test://docs/readme");
      doc("keys", "test://secret/keys");
      for (const area of ["docs", "secret"]) {
        server.registerResource(`${area}-page`, new ResourceTemplate(`test://${area}/pages/{page}`, { list: undefined }), { description: `${area} pages of ${opts.label}` }, async (u, { page }) => {
          seen.reads.push(u.href);
          return { contents: [{ uri: u.href, mimeType: "text/plain", text: `${opts.label}: ${area} page ${String(page)}` }] };
        });
      }
      server.registerPrompt("greet", { description: "Greets someone", argsSchema: { who: completable(z.string(), (v) => { seen.completions++; return ["alice", "albert", "bob"].filter((n) => n.startsWith(v)); }) } }, ({ who }) => {
        seen.gets.push("greet");
        return { messages: [{ role: "user", content: { type: "text", text: `${opts.label}: hello ${who}` } }] };
      });
      server.registerPrompt("internal", { description: "Internal only" }, () => {
        seen.gets.push("internal");
        return { messages: [{ role: "user", content: { type: "text", text: `${opts.label}: internal` } }] };
      });
    }
    server.registerTool("create_ticket", { description: "Open a ticket", inputSchema: { title: z.string() } }, async ({ title }) => {
      seen.calls++;
      return { content: [{ type: "text", text: `${opts.label}: created "${title}"` }] };
    });
    server.registerTool("whoami", { description: "Which upstream answers", inputSchema: {} }, async () => {
      seen.calls++;
      return { content: [{ type: "text", text: opts.label }] };
    });
    if (opts.richTools) {
      // Every optional field of a tool definition and of a result, to prove they pass through.
      server.registerTool(
        "rich",
        {
          title: "Rich tool",
          description: "Has every optional field",
          inputSchema: {},
          outputSchema: { answer: z.number() },
          annotations: { readOnlyHint: true, title: "Rich" },
          _meta: { "example.com/owner": "team-a" },
        },
        async () => ({ content: [{ type: "text" as const, text: '{"answer":42}' }], structuredContent: { answer: 42 }, _meta: { "example.com/run": "r1" } }),
      );
      const rich = server.registerTool("task_only", { description: "Runs only as a task", inputSchema: {} }, async () => ({ content: [] }));
      rich.execution = { taskSupport: "required" };
    }
    for (const name of opts.extraTools ?? []) {
      server.registerTool(name, { description: `${name} of ${opts.label}`, inputSchema: {} }, async () => {
        seen.calls++;
        return { content: [{ type: "text", text: `${opts.label}: ${name}` }] };
      });
    }
    return server;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    seen.authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401).end("unauthorized");
      return;
    }
    const sid = req.headers["mcp-session-id"];
    if (req.method === "DELETE" && typeof sid === "string" && sessions.has(sid)) seen.sessionsEnded++;
    let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
        return;
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          seen.sessionsOpened++;
          sessions.set(id, t);
        },
      });
      t.onclose = () => t.sessionId && sessions.delete(t.sessionId);
      await mcpServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  };

  const http: Server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    openSessions: () => sessions.size,
    async stop() {
      for (const t of sessions.values()) await t.close().catch(() => {});
      sessions.clear();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

export type TestUpstream = Awaited<ReturnType<typeof startTestUpstream>>;
