/**
 * A minimal upstream MCP server over Streamable HTTP (stateless, JSON responses) with one tool,
 * `echo`: the target of the gateway benchmark, called both directly and through CanopyIQ.
 *   npx tsx bench/support/echo-upstream.ts PORT
 */
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const port = Number(process.argv[2] ?? 4599);

function server() {
  const s = new McpServer({ name: "echo", version: "1.0.0" });
  s.registerTool("echo", { description: "Returns its message", inputSchema: { message: z.string() } }, async ({ message }) => ({
    content: [{ type: "text", text: message }],
  }));
  return s;
}

createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString() || "null");
  const s = server();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => void s.close());
  await s.connect(transport);
  await transport.handleRequest(req, res, body);
}).listen(port, "127.0.0.1", () => console.log(`echo upstream on ${port}`));
