import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { BlockedAddressError } from "./network-guard";
import { MissingSecretError } from "./secrets";

/**
 * Why a connection failed, in words safe to show a tenant admin (`last_error`) or an agent: the
 * category (HTTP status, refused address class, network error code, timeout), never the remote's
 * answer body (an internal service reached through a misconfigured URL would otherwise be read
 * back through the error) nor a host path. failureDetail is the full text, for the server log.
 */

const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ENOTFOUND: "the host does not resolve",
  EAI_AGAIN: "DNS lookup failed",
  ETIMEOUT: "DNS lookup timed out",
  ETIMEDOUT: "connect timeout",
  UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "response body stalled",
  UND_ERR_SOCKET: "the connection closed unexpectedly",
  UND_ERR_CLOSED: "the connection closed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOENT: "command or file not found (ENOENT)",
  EACCES: "permission denied (EACCES)",
  EPERM: "permission denied (EPERM)",
};

const TLS = /^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_)/;

function* chain(e: unknown): Generator<unknown> {
  let x = e;
  for (let i = 0; x !== undefined && x !== null && i < 6; i++) {
    yield x;
    x = (x as { cause?: unknown }).cause;
  }
}

export function failureCategory(e: unknown): string {
  for (const x of chain(e)) {
    if (x instanceof BlockedAddressError || x instanceof MissingSecretError) return x.message;
    if (x instanceof StreamableHTTPError) return x.code !== undefined && x.code > 0 ? `HTTP ${x.code}` : "an answer that is not MCP over Streamable HTTP";
    if (x instanceof UnauthorizedError) return "HTTP 401 (unauthorized)";
    if (x instanceof McpError) {
      if (x.code === ErrorCode.RequestTimeout) return "no answer in time";
      if (x.code === ErrorCode.ConnectionClosed) return "the connection closed";
      return `JSON-RPC error ${x.code}`;
    }
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) {
      if (NETWORK[code]) return NETWORK[code];
      if (TLS.test(code)) return `TLS error (${code})`;
      return `network error (${code})`;
    }
  }
  if (e instanceof SyntaxError) return "an answer that is not valid JSON";
  return "an unexpected error (details in the gateway log)";
}

/** Everything known about a failure, for the server log (never for callers). */
export function failureDetail(e: unknown): string {
  return [...chain(e)]
    .map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x)))
    .join(" <- ")
    .slice(0, 4_000);
}
