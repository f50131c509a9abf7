import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { classifyInboundRequest, type InboundLadderRejection, type InboundModernRoute, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";
import type { Principal } from "@/lib/auth";
import { readBodyText } from "@/lib/http/body";
import { type McpGateway, type MethodContext, methodFor } from "./methods";
import { ProxyRpcError } from "./proxy";
import { openRelay, SSE_HEADERS, webStream } from "./relay/http";
import type { RelayServices, RequestRelay } from "./relay/request-relay";
import type { ChatApprovals } from "./methods/chat-approval";
import { logLevelOf } from "./relay/call-relay";
import type { CallRelay } from "./relay/types";
import type { RequestStateSealer } from "./request-state";
import { batchRefusal, type McpAnswer, statelessVersionRefusal, SUPPORTED_REVISIONS, versionRefusal } from "./revisions";
import { type Id, invalidRequest, RpcFailure, replyIdOf, rpcError } from "./rpc";
import { clientDeclaration, headerMismatch, type StandardHeaders, stampResult, statelessErrorStatus } from "./stateless";

export { explain, toToolResult, type McpGateway } from "./methods";
export { BATCHING_REMOVED_IN, batchRefusal, type McpAnswer, versionRefusal } from "./revisions";

/** What /mcp runs on: the gateway, the sealer of 2026-07-28 requestState values and the relay to callers (session era). */
export interface McpDeps {
  gateway: McpGateway;
  requestState: RequestStateSealer;
  relay?: RelayServices;
  /** 2026-07-28: pending approvals asked through the client (lib/mcp/methods/chat-approval). */
  approvals?: ChatApprovals;
}

/** The request as /mcp reads it: the (already bounded) body text and the MCP headers. */
export interface McpRequest {
  text: string;
  headers: StandardHeaders;
}

type Base = Omit<MethodContext, "era" | "revision" | "client">;

const methodNotFound = (method: string, era: MethodContext["era"]) =>
  new RpcFailure({
    code: ErrorCode.MethodNotFound,
    message:
      era === "stateless"
        ? `method not found: ${method} (at 2026-07-28 this server offers server/discover, tools/*, resources/list, resources/templates/list, resources/read, prompts/*, completion/complete)`
        : `method not found: ${method} (this server offers initialize, ping, tools/*, resources/*, prompts/*, completion/complete and logging/setLevel)`,
  });

/** Session era (initialize handshake): one message of a POST, which may be a batch. */
async function handleSessionMessage(base: Base, raw: unknown, revision: string, relay?: CallRelay): Promise<object | null> {
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
    const entry = methodFor(m.method);
    if (!entry?.eras.includes("session")) throw methodNotFound(m.method, "session");
    return { jsonrpc: "2.0", id, result: await entry.handle(m, { ...base, era: "session", revision, ...(relay ? { relay } : {}) }) };
  } catch (err) {
    if (err instanceof RpcFailure || err instanceof ProxyRpcError) return rpcError(id as Id, err.error);
    throw err;
  }
}

/**
 * Stateless era (2026-07-28): one request, already classified, its envelope validated by the SDK.
 * A tools/call from a client that accepts text/event-stream runs with a relay, so the upstream's
 * progress and the logs the request asked for reach it on that request's own SSE answer (JSON
 * when nothing was relayed; the revision's stream rules are the relay's: CallerContext.stateless).
 */
async function answerStateless(base: Base, route: InboundModernRoute, headers: StandardHeaders, relay?: RequestRelay): Promise<McpAnswer> {
  if (route.messageKind === "notification") return { status: 202, body: null };
  const message = route.message as unknown as Record<string, unknown> & { id: Id; method: string; params?: unknown };
  const refused = statelessVersionRefusal(route.classification.revision, message.id);
  if (refused) return refused;
  const mismatched = headerMismatch(headers, message.method, message.params);
  if (mismatched) return { status: 400, body: rpcError(message.id, mismatched) };
  const entry = methodFor(message.method);
  if (!entry?.eras.includes("stateless")) {
    const { error } = methodNotFound(message.method, "stateless");
    return { status: statelessErrorStatus(error, false), body: rpcError(message.id, error) };
  }
  const run = async (b: Base, callRelay?: CallRelay): Promise<McpAnswer> => {
    try {
      const ctx: MethodContext = { ...b, era: "stateless", revision: route.classification.revision!, client: clientDeclaration(message.params), ...(callRelay ? { relay: callRelay } : {}) };
      const result = stampResult(await entry.handle(message, ctx), { privateList: entry.privateList });
      return { status: 200, body: { jsonrpc: "2.0", id: message.id, result } };
    } catch (err) {
      if (err instanceof RpcFailure || err instanceof ProxyRpcError) return { status: statelessErrorStatus(err.error, true), body: rpcError(message.id, err.error) };
      throw err;
    }
  };
  if (!(relay?.streams && message.method === "tools/call")) return run(base);
  // Answered as JSON (nothing relayed first), the answer keeps its own status (-32021 is a 400).
  let status = 200;
  const a = await relay.call(
    message,
    async (callRelay, s) => {
      const answer = await run({ ...base, signal: s }, callRelay);
      status = answer.status;
      return answer.body;
    },
    base.signal,
    "stateless",
  );
  return "stream" in a ? { status: 200, body: null, stream: a.stream } : { status, body: a.body };
}

/** Whether a message's params carry the 2026-07-28 envelope's version claim. */
const claimsEnvelope = (params: unknown) => typeof (params as { _meta?: Record<string, unknown> } | undefined)?._meta?.[PROTOCOL_VERSION_META_KEY] === "string";

/**
 * Refusals the session era answers itself, as it always has: a malformed message or batch element
 * (per message), and a version header naming a revision this server does not speak at all, sent
 * without the 2026-07-28 envelope (the SDK calls any later date "modern"; such a client gets the
 * session era's unsupported-version answer with the versions it could use).
 */
function sessionAnswers(route: InboundLadderRejection, headers: StandardHeaders): boolean {
  if (route.rung === "jsonrpc-shape") return route.cell !== "batch-with-modern-element";
  return route.cell === "modern-header-without-claim" && headers.protocolVersion !== undefined && !SUPPORTED_REVISIONS.includes(headers.protocolVersion);
}

/**
 * The transport-free core of /mcp: the (already bounded) body text and the MCP headers in, the
 * answer out. The Next route and the node:http data plane (lib/data-plane) both call it, so they
 * answer alike. The SDK v2's classifier decides the era from the body (a 2026-07-28 `_meta`
 * envelope) and the headers, and answers what it refuses (HeaderMismatch -32020, a bad envelope,
 * a batch holding a 2026-07-28 request); everything else is the session era, where a request
 * without MCP-Protocol-Version is 2025-03-26 (seed 000's curl).
 */
export async function answerMcp(deps: McpDeps, request: McpRequest, principal: Principal, signal: AbortSignal, relay?: RequestRelay): Promise<McpAnswer> {
  let body: unknown;
  try {
    body = JSON.parse(request.text);
  } catch (err) {
    return { status: 400, body: rpcError(null, { code: ErrorCode.ParseError, message: `request body is not valid JSON: ${(err as Error).message}` }) };
  }
  const { headers } = request;
  const base: Base = { gateway: deps.gateway, requestState: deps.requestState, principal, signal, ...(deps.approvals ? { approvals: deps.approvals } : {}) };
  const route = classifyInboundRequest({ httpMethod: "POST", protocolVersionHeader: headers.protocolVersion, mcpMethodHeader: headers.method, mcpNameHeader: headers.name, body });
  if (route.kind === "modern" && !(route.messageKind === "notification" && !claimsEnvelope(route.message.params) && !SUPPORTED_REVISIONS.includes(headers.protocolVersion ?? ""))) {
    return answerStateless(base, route, headers, relay);
  }
  if (route.kind === "reject" && !sessionAnswers(route, headers)) {
    return { status: route.httpStatus, body: rpcError(replyIdOf(body), { code: route.code, message: route.message, ...(route.data === undefined ? {} : { data: route.data }) }) };
  }
  const version = headers.protocolVersion ?? null;
  const refused = versionRefusal(version, replyIdOf(body));
  if (refused) return refused;
  const batch = Array.isArray(body);
  const messages = batch ? (body as unknown[]) : [body];
  if (batch) {
    const refusal = batchRefusal(messages.length, version);
    if (refusal) return { status: 400, body: rpcError(null, { code: ErrorCode.InvalidRequest, message: refusal }) };
  }
  const revision = version ?? "2025-03-26";
  if (relay && !batch) {
    const relayed = await answerRelayed(base, body, revision, relay);
    if (relayed) return relayed;
  }
  const replies = (await Promise.all(messages.map((m) => handleSessionMessage(base, m, revision)))).filter((r): r is object => r !== null);
  if (replies.length === 0) return { status: 202, body: null };
  return { status: 200, body: batch ? replies : replies[0]! };
}

/** The single session-era messages the relay answers itself: a client's answer, tools/call over SSE, logging/setLevel in a session, initialize with a session. */
async function answerRelayed(base: Base, body: unknown, revision: string, relay: RequestRelay): Promise<McpAnswer | null> {
  if (typeof body !== "object" || body === null || (body as { jsonrpc?: unknown }).jsonrpc !== "2.0") return null;
  const m = body as Record<string, unknown>;
  const validId = typeof m.id === "string" || typeof m.id === "number";
  if (!Object.hasOwn(m, "method") && validId && (Object.hasOwn(m, "result") || Object.hasOwn(m, "error"))) {
    return (await relay.deliver(m)) ? { status: 202, body: null } : null;
  }
  if (m.method === "tools/call" && validId && relay.streams) {
    const a = await relay.call(m, (callRelay, s) => handleSessionMessage({ ...base, signal: s }, m, revision, callRelay), base.signal);
    return "stream" in a ? { status: 200, body: null, stream: a.stream } : { status: a.body ? 200 : 202, body: a.body };
  }
  if (m.method === "logging/setLevel" && validId && relay.session) {
    // Checked as any setLevel (a known level, an upstream that logs), then remembered for the session.
    const reply = await handleSessionMessage(base, m, revision);
    const level = logLevelOf((m.params as { level?: unknown } | undefined)?.level);
    if (reply && "result" in reply && level) await relay.setLogLevel(level);
    return { status: 200, body: reply };
  }
  if (m.method === "initialize" && validId) {
    const reply = await handleSessionMessage(base, m, revision);
    const session = relay.sessionFor(m, reply);
    return { status: 200, body: reply, ...(session ? { headers: { "mcp-session-id": session } } : {}) };
  }
  return null;
}

/** The MCP headers of a request (Fetch API or node:http), as /mcp reads them. */
export function mcpHeadersOf(get: (name: string) => string | null | undefined): StandardHeaders {
  const v = (name: string) => get(name) ?? undefined;
  return { protocolVersion: v("mcp-protocol-version"), method: v("mcp-method"), name: v("mcp-name") };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * POST /api/mcp: MCP Streamable HTTP, stateless (no session to hijack: every request carries its
 * bearer token) with JSON responses, in both eras (lib/mcp/revisions.ts). A dispatcher rather
 * than a per-request SDK Server keeps the tool-call path short. Plain JSON POSTs work too (seed
 * 000's curl sends no Accept header and a form content type).
 */
export async function handleMcpRequest(req: Request, principal: Principal, deps: McpDeps): Promise<Response> {
  const opened = deps.relay ? await openRelay(deps.relay, principal, req.headers.get("accept"), req.headers.get("mcp-session-id")) : null;
  if (opened && "refused" in opened) return json(opened.refused.body, opened.refused.status);
  // Bounded while read (BODY_LIMIT_MCP_BYTES): past it, 413 in the error envelope.
  const text = await readBodyText(req, "mcp");
  const answer = await answerMcp(deps, { text, headers: mcpHeadersOf((n) => req.headers.get(n)) }, principal, req.signal, opened?.relay);
  if (answer.stream) return new Response(webStream(answer.stream), { status: 200, headers: { ...answer.headers, ...SSE_HEADERS } });
  if (answer.body === null) return new Response(null, { status: answer.status, headers: answer.headers });
  const res = json(answer.body, answer.status);
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.headers.set(k, v);
  return res;
}
