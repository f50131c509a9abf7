import { SUPPORTED_PROTOCOL_VERSIONS as SESSION_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { ProtocolErrorCode } from "@modelcontextprotocol/server";
import { env } from "@/lib/env";
import { type Id, rpcError } from "./rpc";

/**
 * Per-revision behaviour of /mcp, in one place. Two eras share the endpoint:
 * - "session": 2024-11-05 … 2025-11-25, the initialize handshake (sessions optional; this endpoint
 *   keeps none). A request without a version is 2025-03-26, as the transport spec says.
 * - "stateless": 2026-07-28, every request carries its version and the client's capabilities in
 *   `_meta`; `server/discover` replaces initialize; results carry `resultType`.
 * Which era a request belongs to is the SDK v2's classifier's call (lib/mcp/endpoint.ts); what
 * each era allows is here, and each method says which eras it serves (lib/mcp/methods).
 */
export type Era = "session" | "stateless";

/** The revisions served with the initialize handshake (the SDK 1.x line's list). */
export const SESSION_REVISIONS: readonly string[] = SESSION_VERSIONS;
/** The stateless revisions served (SDK v2 implements 2026-07-28). */
export const STATELESS_REVISIONS: readonly string[] = ["2026-07-28"];
/** Every revision this endpoint speaks, newest first (server/discover's supportedVersions). */
export const SUPPORTED_REVISIONS: readonly string[] = [...STATELESS_REVISIONS, ...SESSION_REVISIONS];
export const LATEST_SESSION_REVISION = SESSION_REVISIONS[0]!;

/** The first protocol revision without JSON-RPC batching. */
export const BATCHING_REMOVED_IN = "2025-06-18";

/**
 * Why a batch is refused, or null when it may run. MCP 2025-06-18 removed batching; without an
 * MCP-Protocol-Version header a server assumes 2025-03-26 (which has it). The endpoint is stateless,
 * so the header decides (a batch holding a 2026-07-28 request is refused by the classifier before
 * this). Allowed batches are capped (MCP_MAX_BATCH) and refused whole past it, so nothing runs;
 * each message of an allowed batch goes through the whole pipeline on its own.
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

/** What /mcp answers: a status and a JSON body (null: 202 Accepted, no body). */
export interface McpAnswer {
  status: number;
  body: object | null;
  headers?: Record<string, string>;
  /** text/event-stream events (the body is null; lib/mcp/relay); cancel() when the client goes away. */
  stream?: AsyncIterable<string> & { cancel(): void };
}

/** The 1.x SDKs' code for a refused MCP-Protocol-Version header ("Bad Request"). */
const SESSION_UNSUPPORTED_VERSION = -32000;

/**
 * The answer for a session-era request whose MCP-Protocol-Version header this server does not
 * speak; null when it may proceed (no header: 2025-03-26). The request's id is kept when it has a
 * usable one. The code is the 1.x SDKs' (-32000, "Bad Request"), not 2026-07-28's
 * UnsupportedProtocolVersion (-32022): that one tells a client this server speaks the stateless
 * revision, so it would stop falling back to initialize.
 */
export function versionRefusal(version: string | null, id: Id | null = null): McpAnswer | null {
  if (!version || SESSION_REVISIONS.includes(version)) return null;
  return {
    status: 400,
    body: rpcError(id, {
      code: SESSION_UNSUPPORTED_VERSION,
      message: `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SESSION_REVISIONS.join(", ")})`,
      data: { requested: version, supported: SESSION_REVISIONS },
    }),
  };
}

/**
 * The answer for a stateless-era request naming a revision this server does not serve: 2026-07-28's
 * UnsupportedProtocolVersion (-32022, HTTP 400) with the supported stateless revisions and the
 * requested one echoed, the request's id kept; null when it is served.
 */
export function statelessVersionRefusal(version: string | undefined, id: Id | null): McpAnswer | null {
  if (version && STATELESS_REVISIONS.includes(version)) return null;
  const requested = version ?? "unknown";
  return {
    status: 400,
    body: rpcError(id, {
      code: ProtocolErrorCode.UnsupportedProtocolVersion,
      message: `Unsupported protocol version: ${requested} (this server serves ${STATELESS_REVISIONS.join(", ")} statelessly, and ${SESSION_REVISIONS.join(", ")} after initialize)`,
      data: { supported: [...STATELESS_REVISIONS], requested },
    }),
  };
}

/** The first revision answering an unknown resource with -32602 (SEP-2164) instead of -32002. */
export const RESOURCE_NOT_FOUND_INVALID_PARAMS_SINCE = "2026-07-28";

/**
 * The JSON-RPC code of "Resource not found" at a revision: -32002 through 2025-11-25 (the code
 * those clients know), -32602 (Invalid Params) from 2026-07-28, which SEP-2164 standardizes on.
 * Revisions are ISO dates, so they compare as strings.
 */
export function resourceNotFoundCode(revision: string): number {
  return revision >= RESOURCE_NOT_FOUND_INVALID_PARAMS_SINCE ? -32602 : -32002;
}
