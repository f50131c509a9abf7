import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  InitializeRequestSchema,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { nonFiniteNumberAt } from "@/lib/canonical";
import type { Principal } from "@/lib/auth";
import { gatewayCall, gatewayListTools } from "@/lib/enforce";
import type { CallOutcome, Verdict } from "@/lib/enforce/types";

const SERVER_INFO = { name: "canopyiq", version: "0.1.0" };
const INSTRUCTIONS =
  "Tools are governed by CanopyIQ policies. A denied call says which rule denied it and why; a call that needs approval returns an approval id: once approvers decide, repeat the same call with _meta.approval_id set to it.";

/** What an agent sees for a call that did not run: the decision explained, as a tool error. */
export function explain(v: Verdict): string {
  const rule = v.rule ? `rule "${v.rule}"` : "the policy default";
  if (v.decision === "approval") {
    const a = v.approval;
    return (
      `Approval required by ${rule}: ${sentence(v.reason ?? "")}`.trim() +
      (a ? ` Approval ${a.id} is ${a.status} (${a.approvals}/${a.required_approvals} approvals${a.approver_group ? ` from ${a.approver_group}` : ""}, expires ${a.expires_at}); ${a.retry}.` : "") +
      ` Trace ${v.trace_id}.`
    );
  }
  const limit = v.limit ? ` Limit ${v.limit.limit} (${v.limit.scope}) ${v.limit.current}/${v.limit.limit_value}${v.limit.resets_at ? `, resets at ${v.limit.resets_at}` : ""}.` : "";
  return `Denied by ${rule}: ${sentence(v.reason ?? "no reason given")}${limit} Trace ${v.trace_id}.`;
}

const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

export function toToolResult({ verdict, result }: CallOutcome): CallToolResult {
  const { trace: _trace, ...summary } = verdict;
  const meta = { canopyiq: summary };
  if (result) return { ...result, _meta: { ...(result._meta ?? {}), ...meta } };
  // The verdict travels in _meta: structuredContent would be checked against the tool's own output schema.
  return { isError: true, content: [{ type: "text", text: explain(verdict) }], _meta: meta };
}

type Id = string | number;
interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}
class RpcFailure extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

const rpcError = (id: Id | null, error: RpcError) => ({ jsonrpc: "2.0" as const, id, error });

function invalidParams(issues: { path: PropertyKey[]; message: string }[]): RpcFailure {
  const first = issues[0];
  return new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${first ? `${first.path.join(".") || "params"}: ${first.message}` : "bad shape"}` });
}

async function dispatch(method: string, message: Record<string, unknown>, principal: Principal, signal: AbortSignal): Promise<unknown> {
  switch (method) {
    case "initialize": {
      const parsed = InitializeRequestSchema.safeParse(message);
      if (!parsed.success) throw invalidParams(parsed.error.issues);
      const requested = parsed.data.params.protocolVersion;
      return {
        protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION,
        capabilities: { tools: { listChanged: false } },
        serverInfo: SERVER_INFO,
        instructions: INSTRUCTIONS,
      };
    }
    case "ping":
      return {};
    case "tools/list":
      return { tools: await gatewayListTools(principal) };
    case "tools/call": {
      const parsed = CallToolRequestSchema.safeParse(message);
      if (!parsed.success) throw invalidParams(parsed.error.issues);
      const { name, arguments: args, _meta } = parsed.data.params;
      // JSON reads 1e309 as Infinity: such a call can be neither priced, hashed nor audited.
      const infinite = nonFiniteNumberAt(args, "arguments");
      if (infinite) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${infinite} is not a finite number (JSON numbers past ±1.8e308 read as infinite); send a finite value` });
      const approvalId = _meta?.approval_id;
      const outcome = await gatewayCall(principal, { tool: name, arguments: args ?? {}, approvalId: typeof approvalId === "string" ? approvalId : undefined }, signal);
      return toToolResult(outcome);
    }
    default:
      throw new RpcFailure({ code: ErrorCode.MethodNotFound, message: `method not found: ${method} (this server offers initialize, ping, tools/list and tools/call)` });
  }
}

async function handleMessage(raw: unknown, principal: Principal, signal: AbortSignal): Promise<object | null> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return rpcError(null, { code: ErrorCode.InvalidRequest, message: "a JSON-RPC message must be an object" });
  const m = raw as Record<string, unknown>;
  const id = m.id;
  const hasId = typeof id === "string" || typeof id === "number";
  if (m.jsonrpc !== "2.0" || (typeof m.method !== "string" && !hasId)) {
    return rpcError(hasId ? (id as Id) : null, { code: ErrorCode.InvalidRequest, message: 'invalid JSON-RPC 2.0 message: expected {"jsonrpc":"2.0","id":…,"method":…}' });
  }
  // Notifications (and responses to requests we never send) need no answer.
  if (!hasId || typeof m.method !== "string") return null;
  try {
    return { jsonrpc: "2.0", id, result: await dispatch(m.method, m, principal, signal) };
  } catch (err) {
    if (err instanceof RpcFailure) return rpcError(id as Id, err.error);
    throw err;
  }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/**
 * POST /api/mcp: MCP Streamable HTTP, stateless (no session to hijack: every request carries its
 * bearer token) with JSON responses: initialize, ping, tools/list, tools/call, notifications. The
 * messages are validated with the SDK's own schemas and protocol constants; a dispatcher rather
 * than a per-request SDK Server keeps the tool-call path short. Plain JSON POSTs work too (seed
 * 000's curl sends no Accept header and a form content type).
 */
export async function handleMcpRequest(req: Request, principal: Principal): Promise<Response> {
  if (req.method !== "POST") {
    return json(rpcError(null, { code: ErrorCode.ConnectionClosed, message: `${req.method} is not supported: this server is stateless; send JSON-RPC messages with POST` }), 405, { allow: "POST" });
  }
  const version = req.headers.get("mcp-protocol-version");
  if (version && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return json(rpcError(null, { code: ErrorCode.InvalidRequest, message: `unsupported MCP-Protocol-Version ${version}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}` }), 400);
  }
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch (err) {
    return json(rpcError(null, { code: ErrorCode.ParseError, message: `request body is not valid JSON: ${(err as Error).message}` }), 400);
  }
  const batch = Array.isArray(body);
  const messages = batch ? (body as unknown[]) : [body];
  if (messages.length === 0) return json(rpcError(null, { code: ErrorCode.InvalidRequest, message: "empty batch" }), 400);
  const replies = (await Promise.all(messages.map((m) => handleMessage(m, principal, req.signal)))).filter((r): r is object => r !== null);
  if (replies.length === 0) return new Response(null, { status: 202 });
  return json(batch ? replies : replies[0]);
}
