/**
 * The probe upstream of the e2e and security suites: a stateless Streamable HTTP MCP server whose
 * tools do nothing but count. Attack tests read its counters to prove that nothing reached the
 * upstream.
 *   npx tsx e2e/support/probe-upstream.ts PORT
 * GET /calls → {"total": n, "by_tool": {...}, "last": [{tool, arguments}], "reads": [uri], "gets": [prompt]}   POST /reset
 * Resources (probe://docs/readme, probe://secret/keys, template probe://pages/{page}) and prompts
 * (greet, internal) are counted apart from tool calls: reads and gets that reached the probe.
 * Under /slack: the fake Slack Web API the e2e server's Slack app talks to (lib/slack/testing.ts).
 */
import { createServer } from "node:http";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { fakeSlackHandler } from "../../lib/slack/testing";

const port = Number(process.argv[2] ?? 3101);
const calls: { tool: string; arguments: unknown }[] = [];
const slack = fakeSlackHandler("/slack");
const reads: string[] = [];
const gets: string[] = [];
const MAX_BODY = 64 * 1024 * 1024;

const anyArgs = {
  message: z.any().optional(),
  url: z.any().optional(),
  host: z.any().optional(),
  method: z.any().optional(),
  body: z.any().optional(),
  content: z.any().optional(),
  path: z.any().optional(),
  data: z.any().optional(),
  provider: z.any().optional(),
  action: z.any().optional(),
  amount_cents: z.any().optional(),
  estimated_cost_usd: z.any().optional(),
  ms: z.any().optional(),
};

function server() {
  const s = new McpServer({ name: "probe", version: "1.0.0" });
  for (const tool of ["echo", "write", "http", "spend"]) {
    s.registerTool(tool, { description: `probe ${tool}: records the call and echoes its arguments`, inputSchema: anyArgs }, async (args) => {
      calls.push({ tool, arguments: args });
      return { content: [{ type: "text", text: `probe ${tool} ran with ${JSON.stringify(args).slice(0, 500)}` }] };
    });
  }
  // probe.slow: recorded on arrival, answers after `ms` (at most 10 s): a call still in flight
  // upstream, for the tests that kill a replica mid-call.
  s.registerTool("slow", { description: "probe slow: records the call, answers after ms milliseconds (≤ 10 s)", inputSchema: anyArgs }, async (args) => {
    calls.push({ tool: "slow", arguments: args });
    const ms = Math.min(10_000, Math.max(0, Number(args.ms) || 0));
    await new Promise((r) => setTimeout(r, ms));
    return { content: [{ type: "text", text: `probe slow answered after ${ms} ms` }] };
  });
  for (const [name, uri] of [["readme", "probe://docs/readme"], ["keys", "probe://secret/keys"]]) {
    s.registerResource(name, uri, { description: `probe ${name}`, mimeType: "text/plain" }, async (u) => {
      reads.push(u.href);
      return { contents: [{ uri: u.href, mimeType: "text/plain", text: `probe ${name}` }] };
    });
  }
  s.registerResource("pages", new ResourceTemplate("probe://pages/{page}", { list: undefined }), { description: "probe pages" }, async (u) => {
    reads.push(u.href);
    return { contents: [{ uri: u.href, mimeType: "text/plain", text: `probe page ${u.href}` }] };
  });
  for (const name of ["greet", "internal"]) {
    s.registerPrompt(name, { description: `probe ${name}` }, () => {
      gets.push(name);
      return { messages: [{ role: "user", content: { type: "text", text: `probe ${name}` } }] };
    });
  }
  return s;
}

function summary() {
  const byTool: Record<string, number> = {};
  for (const c of calls) byTool[c.tool] = (byTool[c.tool] ?? 0) + 1;
  return { total: calls.length, by_tool: byTool, last: calls.slice(-20), reads: reads.slice(-100), reads_total: reads.length, gets_total: gets.length };
}

createServer(async (req, res) => {
  try {
    if (await slack.handle(req, res)) return;
    if (req.url === "/calls" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(summary()));
      return;
    }
    if (req.url === "/reset" && req.method === "POST") {
      calls.length = 0;
      reads.length = 0;
      gets.length = 0;
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(c as Buffer);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString() || "null");
    const s = server();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void s.close());
    await s.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
  }
}).listen(port, "127.0.0.1", () => console.log(`probe upstream on ${port}`));
