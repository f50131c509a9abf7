import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, type CallToolResult, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "@/lib/auth";
import { gatewayCall, gatewayListTools } from "@/lib/enforce";
import type { CallOutcome, Verdict } from "@/lib/enforce/types";

const INSTRUCTIONS =
  "Tools are governed by CanopyIQ policies. A denied call says which rule denied it and why; a call that needs approval returns an approval id: once approvers decide, repeat the same call with _meta.approval_id set to it.";

/** What an agent sees for a call that did not run: the decision explained, as a tool error. */
export function explain(v: Verdict): string {
  const rule = v.rule ? `rule "${v.rule}"` : "the policy default";
  if (v.decision === "approval") {
    const a = v.approval;
    return `Approval required by ${rule}: ${v.reason ?? ""}`.trim() + (a ? ` Approval ${a.id} is ${a.status} (${a.approvals}/${a.required_approvals} approvals${a.approver_group ? ` from ${a.approver_group}` : ""}, expires ${a.expires_at}); ${a.retry}.` : "") + ` Trace ${v.trace_id}.`;
  }
  const limit = v.limit ? ` Limit ${v.limit.limit} (${v.limit.scope}) ${v.limit.current}/${v.limit.limit_value}${v.limit.resets_at ? `, resets at ${v.limit.resets_at}` : ""}.` : "";
  return `Denied by ${rule}: ${v.reason ?? "no reason given"}.${limit} Trace ${v.trace_id}.`;
}

function toToolResult({ verdict, result }: CallOutcome): CallToolResult {
  const { trace: _trace, ...summary } = verdict;
  const meta = { canopyiq: summary };
  if (result) return { ...result, _meta: { ...(result._meta ?? {}), ...meta } };
  // The verdict travels in _meta: structuredContent would be checked against the tool's own output schema.
  return { isError: true, content: [{ type: "text", text: explain(verdict) }], _meta: meta };
}

/**
 * Plain JSON POSTs (seed 000's curl sends no Accept header and a form content type) are accepted
 * as MCP Streamable HTTP: the transport is told what the client means.
 */
async function normalize(req: Request): Promise<Request> {
  if (req.method !== "POST") return req;
  const headers = new Headers(req.headers);
  const accept = headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) headers.set("accept", "application/json, text/event-stream");
  if (!(headers.get("content-type") ?? "").includes("application/json")) headers.set("content-type", "application/json");
  headers.delete("authorization"); // never reaches anything past the gateway
  return new Request(req.url, { method: "POST", headers, body: await req.text() });
}

/**
 * POST /api/mcp: MCP Streamable HTTP, stateless (no session to hijack; every request carries its
 * bearer token), JSON responses. Built with the SDK's Server for the protocol (initialize, ping,
 * tools/list, tools/call, notifications).
 */
export async function handleMcpRequest(req: Request, principal: Principal): Promise<Response> {
  const server = new Server({ name: "canopyiq", version: "0.1.0" }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await gatewayListTools(principal) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const approvalId = request.params._meta?.approval_id;
    const outcome = await gatewayCall(
      principal,
      { tool: request.params.name, arguments: request.params.arguments ?? {}, approvalId: typeof approvalId === "string" ? approvalId : undefined },
      extra.signal,
    );
    return toToolResult(outcome);
  });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(await normalize(req));
  } finally {
    void server.close();
  }
}
