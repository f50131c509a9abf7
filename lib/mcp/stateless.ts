import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, ProtocolErrorCode, SERVER_INFO_META_KEY } from "@modelcontextprotocol/server";
import type { RpcError } from "./rpc";
import { SERVER_INFO } from "./methods/server-info";

/**
 * The 2026-07-28 (stateless) side of /mcp that the SDK v2's public surface leaves to the server:
 * the standard-header rung after classification, the per-request client declaration, result
 * stamping and HTTP statuses. (The classifier, the version and the envelope checks are the SDK's:
 * lib/mcp/endpoint.ts calls classifyInboundRequest.)
 */

/** HeaderMismatch: a request's headers and body disagree (SEP-2243). */
export const HEADER_MISMATCH = -32020;

/** The body field the Mcp-Name header mirrors, per method (SEP-2243 § Standard Request Headers). */
const NAME_SOURCE: Readonly<Record<string, string>> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

export interface StandardHeaders {
  protocolVersion?: string;
  method?: string;
  name?: string;
}

const BASE64_PREFIX = "=?base64?";
const BASE64_SUFFIX = "?=";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An Mcp-Name value: plain, or `=?base64?…?=` for names a header cannot carry; undefined when the encoding is broken. */
function decodeName(raw: string): string | undefined {
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, "");
  if (!(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX))) return value;
  const b64 = value.slice(BASE64_PREFIX.length, value.length - BASE64_SUFFIX.length);
  return BASE64.test(b64) ? Buffer.from(b64, "base64").toString("utf8") : undefined;
}

const mismatch = (header: string, body: string): RpcError => ({
  code: HEADER_MISMATCH,
  message: `Bad Request: the request headers and body disagree: ${body}`,
  data: { mismatch: { header, body } },
});

/**
 * HeaderMismatch (-32020, HTTP 400) when a stateless request lacks MCP-Protocol-Version or
 * Mcp-Method, or when Mcp-Name is absent or differs from the body's name/uri; null when they agree.
 * The version and method values themselves were checked against the body by the SDK's classifier.
 */
export function headerMismatch(headers: StandardHeaders, method: string, params: unknown): RpcError | null {
  if (headers.protocolVersion === undefined) return mismatch("(missing)", "the body carries a 2026-07-28 per-request envelope but the required MCP-Protocol-Version header is absent");
  if (headers.method === undefined) return mismatch("(missing)", `the body names method ${method} but the required Mcp-Method header is absent`);
  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method]! : undefined;
  if (!field) return null;
  const raw = typeof params === "object" && params !== null ? (params as Record<string, unknown>)[field] : undefined;
  const bodyValue = typeof raw === "string" ? raw : undefined;
  if (headers.name === undefined) return bodyValue === undefined ? null : mismatch("(missing)", `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`);
  const decoded = decodeName(headers.name);
  if (decoded === undefined) return mismatch(headers.name, "the Mcp-Name header carries an invalid Base64 sentinel value");
  if (bodyValue !== undefined && decoded !== bodyValue) return mismatch(headers.name, `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`);
  return null;
}

/** What the client declared in the request's `_meta` (validated by the SDK's envelope rung). */
export function clientDeclaration(params: unknown): { capabilities: Record<string, unknown>; info?: unknown } {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta ?? {};
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  return { capabilities: typeof capabilities === "object" && capabilities !== null ? (capabilities as Record<string, unknown>) : {}, info: meta[CLIENT_INFO_META_KEY] };
}

/**
 * A stateless result as the wire wants it: `resultType` ("complete" unless the handler said
 * otherwise), the server's identity in `_meta`, and for lists that depend on the caller (policy
 * filtered) the caching hint `cacheScope: "private"` with no reuse time.
 */
export function stampResult(result: Record<string, unknown>, opts: { privateList?: boolean }): Record<string, unknown> {
  const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
  return {
    ...result,
    resultType: result.resultType ?? "complete",
    ...(opts.privateList ? { ttlMs: 0, cacheScope: "private" } : {}),
    _meta: { ...meta, [SERVER_INFO_META_KEY]: SERVER_INFO },
  };
}

/**
 * The HTTP status of a stateless error answer: the SDK's ladder statuses (-32601 is 404; version,
 * header, envelope and capability errors 400). An error a handler raises about the call itself
 * (unknown tool, bad arguments, a refused requestState) is in-band: 200, as the SDK's seam answers.
 */
export function statelessErrorStatus(error: RpcError, inBand: boolean): number {
  if (error.code === ProtocolErrorCode.MissingRequiredClientCapability) return 400;
  if (inBand) return 200;
  if (error.code === ErrorCode.MethodNotFound) return 404;
  return 400;
}
