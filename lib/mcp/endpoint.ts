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
import type { Gateway } from "@/lib/enforce/gateway";
import { ARGUMENTS_TOO_LARGE } from "@/lib/enforce/pipeline";
import type { CallOutcome, Verdict } from "@/lib/enforce/types";
import { env } from "@/lib/env";
import { readBodyText } from "@/lib/http/body";
import { openRelay, SSE_HEADERS, webStream } from "./relay/http";
import type { RelayServices, RequestRelay } from "./relay/request-relay";
import type { CallRelay } from "./relay/types";
import { UNKNOWN_TOOL } from "./upstreams/errors";
import { dispatchProxy, proxyCapabilities, ProxyRpcError, type ProxyHost } from "./proxy";

const SERVER_INFO = { name: "canopyiq", version: "0.1.0" };
const INSTRUCTIONS =
  "Tools are governed by CanopyIQ policies. A denied call says which rule denied it and why; a call that needs approval returns an approval id: once approvers decide, repeat the same call with _meta.approval_id set to it.";

/** What an agent sees for a call that did not run: the decision explained, as a tool error. */
/** What the endpoint needs of the gateway (tests pass a fake). */
export type McpGateway = Pick<Gateway, "call" | "listTools"> & ProxyHost;

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

async function dispatch(gateway: McpGateway, method: string, message: Record<string, unknown>, principal: Principal, signal: AbortSignal, relay?: CallRelay): Promise<unknown> {
  switch (method) {
    case "initialize": {
      const parsed = InitializeRequestSchema.safeParse(message);
      if (!parsed.success) throw invalidParams(parsed.error.issues);
      const requested = parsed.data.params.protocolVersion;
      return {
        protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION,
        capabilities: { tools: { listChanged: false }, ...(await proxyCapabilities(gateway, principal)) },
        serverInfo: SERVER_INFO,
        instructions: INSTRUCTIONS,
      };
    }
    case "ping":
      return {};
    case "tools/list":
      return { tools: await gateway.listTools(principal) };
    case "tools/call": {
      const parsed = CallToolRequestSchema.safeParse(message);
      if (!parsed.success) throw invalidParams(parsed.error.issues);
      const { name, arguments: args, _meta } = parsed.data.params;
      // JSON reads 1e309 as Infinity: such a call can be neither priced, hashed nor audited.
      const infinite = nonFiniteNumberAt(args, "arguments");
      if (infinite) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${infinite} is not a finite number (JSON numbers past ±1.8e308 read as infinite); send a finite value` });
      const approvalId = _meta?.approval_id;
      try {
        const outcome = await gateway.call(principal, { tool: name, arguments: args ?? {}, approvalId: typeof approvalId === "string" ? approvalId : undefined }, signal, relay);
        return toToolResult(outcome);
      } catch (err) {
        // Arguments past the bounds are refused (and audited) before anything reads them. Matched by
        // code and name, not class: the build may hold more than one copy of the error class.
        const e = err as { code?: unknown; message?: unknown; details?: unknown };
        // A name no upstream or built-in offers this tenant is a protocol error (MCP: "Unknown
        // tool"); a known tool the policy refuses stays an isError result with its verdict.
        if (e?.code === UNKNOWN_TOOL) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `Unknown tool: ${name}` });
        if (e?.code === ARGUMENTS_TOO_LARGE) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${String(e.message)}`, data: { code: ARGUMENTS_TOO_LARGE, details: e.details } });
        throw err;
      }
    }
    case "resources/list":
    case "resources/templates/list":
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
    case "prompts/list":
    case "prompts/get":
    case "completion/complete":
    case "logging/setLevel":
      return dispatchProxy(gateway, method, message, principal, signal);
    default:
      throw new RpcFailure({ code: ErrorCode.MethodNotFound, message: `method not found: ${method} (this server offers initialize, ping, tools/*, resources/*, prompts/*, completion/complete and logging/setLevel)` });
  }
}

const invalidRequest = (id: Id | null, message: string) => rpcError(id, { code: ErrorCode.InvalidRequest, message: `invalid JSON-RPC 2.0 message: ${message}` });

async function handleMessage(gateway: McpGateway, raw: unknown, principal: Principal, signal: AbortSignal, relay?: CallRelay): Promise<object | null> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return rpcError(null, { code: ErrorCode.InvalidRequest, message: "a JSON-RPC message must be an object" });
  const m = raw as Record<string, unknown>;
  // A notification is a message WITHOUT an id member; an id that is present must be a string or a
  // number (MCP forbids null), so `id: {}` is a bad request, never a notification.
  const hasIdMember = Object.hasOwn(m, "id");
  const id = m.id;
  const validId = typeof id === "string" || typeof id === "number";
  const replyId = validId ? (id as Id) : null;
  if (m.jsonrpc !== "2.0") return invalidRequest(replyId, 'expected "jsonrpc": "2.0"');
  if (hasIdMember && !validId) return invalidRequest(null, `"id" must be a string or a number, not ${id === null ? "null" : Array.isArray(id) ? "an array" : typeof id}; leave "id" out only for a notification`);
  if (Object.hasOwn(m, "method") && typeof m.method !== "string") return invalidRequest(replyId, '"method" must be a string');
  if (typeof m.method !== "string") {
    // A response to a request this server never sends: nothing to answer.
    if (validId && (Object.hasOwn(m, "result") || Object.hasOwn(m, "error"))) return null;
    return invalidRequest(replyId, 'expected {"jsonrpc":"2.0","id":…,"method":…}');
  }
  // Notifications need no answer.
  if (!hasIdMember) return null;
  try {
    return { jsonrpc: "2.0", id, result: await dispatch(gateway, m.method, m, principal, signal, relay) };
  } catch (err) {
    if (err instanceof RpcFailure || err instanceof ProxyRpcError) return rpcError(id as Id, err.error);
    throw err;
  }
}

/** The first protocol revision without JSON-RPC batching. */
export const BATCHING_REMOVED_IN = "2025-06-18";

/**
 * Why a batch is refused, or null when it may run. MCP 2025-06-18 removed batching; without an
 * MCP-Protocol-Version header a server assumes 2025-03-26 (which has it). The endpoint is stateless,
 * so the header decides. Allowed batches are capped (MCP_MAX_BATCH) and refused whole past it, so
 * nothing runs; each message of an allowed batch goes through the whole pipeline on its own.
 */
export function batchRefusal(size: number, version: string | null): string | null {
  if (version && version >= BATCHING_REMOVED_IN) {
    return `JSON-RPC batches are not supported in MCP revision ${version}: batching was removed in ${BATCHING_REMOVED_IN}; send one message per POST`;
  }
  if (size === 0) return "empty batch: send at least one JSON-RPC message";
  const max = env().MCP_MAX_BATCH;
  if (size > max) return `batch of ${size} messages refused, nothing was run: at most ${max} messages per batch (MCP_MAX_BATCH); send smaller batches or one message per POST`;
  return null;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** What /mcp answers: a status and a JSON body (null: 202 Accepted, no body), or an SSE stream (lib/mcp/relay). */
export interface McpAnswer {
  status: number;
  body: object | null;
  headers?: Record<string, string>;
  /** text/event-stream events (the body is null); cancel() when the client goes away. */
  stream?: AsyncIterable<string> & { cancel(): void };
}

/**
 * The answer for a request whose MCP-Protocol-Version header this server does not speak; null when
 * it may proceed (no header: 2025-03-26, as the transport spec says). The request's id is kept
 * when it has a usable one. The code is the 1.x SDKs' (-32000, "Bad Request"), not 2026-07-28's
 * UnsupportedProtocolVersion (-32022): that one tells a client this server speaks the stateless
 * revision, so it would stop falling back to initialize.
 */
export function versionRefusal(version: string | null, id: Id | null = null): McpAnswer | null {
  if (!version || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return null;
  return {
    status: 400,
    body: rpcError(id, {
      code: UNSUPPORTED_VERSION,
      message: `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
      data: { requested: version, supported: SUPPORTED_PROTOCOL_VERSIONS },
    }),
  };
}

const UNSUPPORTED_VERSION = -32000;

/** The id of a single request message, when it is one a reply may carry. */
function replyIdOf(body: unknown): Id | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/**
 * The transport-free core of /mcp: the (already bounded) body text in, the answer out. The Next
 * route and the node:http data plane (lib/data-plane) both call it, so they answer alike.
 */
export async function answerMcp(gateway: McpGateway, text: string, version: string | null, principal: Principal, signal: AbortSignal, relay?: RequestRelay): Promise<McpAnswer> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { status: 400, body: rpcError(null, { code: ErrorCode.ParseError, message: `request body is not valid JSON: ${(err as Error).message}` }) };
  }
  const refused = versionRefusal(version, replyIdOf(body));
  if (refused) return refused;
  const batch = Array.isArray(body);
  const messages = batch ? (body as unknown[]) : [body];
  if (batch) {
    const refused = batchRefusal(messages.length, version);
    if (refused) return { status: 400, body: rpcError(null, { code: ErrorCode.InvalidRequest, message: refused }) };
  }
  if (relay && !batch) {
    const relayed = await answerRelayed(gateway, body, principal, signal, relay);
    if (relayed) return relayed;
  }
  const replies = (await Promise.all(messages.map((m) => handleMessage(gateway, m, principal, signal)))).filter((r): r is object => r !== null);
  if (replies.length === 0) return { status: 202, body: null };
  return { status: 200, body: batch ? replies : replies[0] };
}

/** The single messages the relay answers itself: a client's answer, tools/call over SSE, initialize with a session. */
async function answerRelayed(gateway: McpGateway, body: unknown, principal: Principal, signal: AbortSignal, relay: RequestRelay): Promise<McpAnswer | null> {
  if (typeof body !== "object" || body === null || (body as { jsonrpc?: unknown }).jsonrpc !== "2.0") return null;
  const m = body as Record<string, unknown>;
  const validId = typeof m.id === "string" || typeof m.id === "number";
  if (!Object.hasOwn(m, "method") && validId && (Object.hasOwn(m, "result") || Object.hasOwn(m, "error"))) {
    return (await relay.deliver(m)) ? { status: 202, body: null } : null;
  }
  if (m.method === "tools/call" && validId && relay.streams) {
    const a = await relay.call(m, (callRelay, s) => handleMessage(gateway, m, principal, s, callRelay), signal);
    return "stream" in a ? { status: 200, body: null, stream: a.stream } : { status: a.body ? 200 : 202, body: a.body };
  }
  if (m.method === "initialize" && validId) {
    const reply = await handleMessage(gateway, m, principal, signal);
    const session = relay.sessionFor(m, reply);
    return { status: 200, body: reply, ...(session ? { headers: { "mcp-session-id": session } } : {}) };
  }
  return null;
}

/**
 * POST /api/mcp: MCP Streamable HTTP, stateless (no session to hijack: every request carries its
 * bearer token) with JSON responses: initialize, ping, tools/list, tools/call, notifications. The
 * messages are validated with the SDK's own schemas and protocol constants; a dispatcher rather
 * than a per-request SDK Server keeps the tool-call path short. Plain JSON POSTs work too (seed
 * 000's curl sends no Accept header and a form content type).
 */
export async function handleMcpRequest(req: Request, principal: Principal, gateway: McpGateway, relay?: RelayServices): Promise<Response> {
  const version = req.headers.get("mcp-protocol-version");
  const opened = relay ? await openRelay(relay, principal, req.headers.get("accept"), req.headers.get("mcp-session-id")) : null;
  if (opened && "refused" in opened) return json(opened.refused.body, opened.refused.status);
  // Bounded while read (BODY_LIMIT_MCP_BYTES): past it, 413 in the error envelope.
  const text = await readBodyText(req, "mcp");
  const answer = await answerMcp(gateway, text, version, principal, req.signal, opened?.relay);
  if (answer.stream) return new Response(webStream(answer.stream), { status: 200, headers: { ...answer.headers, ...SSE_HEADERS } });
  if (answer.body === null) return new Response(null, { status: answer.status, headers: answer.headers });
  const res = json(answer.body, answer.status);
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.headers.set(k, v);
  return res;
}
