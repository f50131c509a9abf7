import type { Principal } from "@/lib/auth/principal";
import { AppError, badRequest } from "@/lib/errors";
import type { McpAnswer } from "../revisions";
import { STATELESS_REVISIONS } from "../revisions";
import { acceptsSse, RequestRelay, type RelayServices } from "../relay/request-relay";
import { SESSION_MAX_AGE_MS } from "../relay/session-id";
import type { ListenHub } from "./listen-hub";

/** What GET and DELETE on /mcp need of the process (built in the composition root). */
export interface ListenServices {
  hub: ListenHub;
  relay: RelayServices;
  /** A stream without a session ends after this long (the client opens another). */
  maxStreamMs: number;
  /** Tells every replica that a session ended, so their streams of it end too. */
  announceEnded(sessionId: string): Promise<void>;
}

/** The transport facts of a GET or DELETE on /mcp. */
export interface ListenHeaders {
  accept: string | null;
  sessionId: string | null;
  protocolVersion: string | null;
}

const RETRY_AFTER_SECONDS = 5;

const sessionRefused = (reason: string) =>
  new AppError(404, "session_not_found", `Mcp-Session-Id refused: ${reason}; send initialize for a new session`, { hint: "POST initialize to /mcp and use the Mcp-Session-Id of its answer" });

/** 2026-07-28 has no standalone stream and no sessions: its clients are told so, as the transport's 405. */
function statelessRefusal(h: ListenHeaders, what: string): AppError | null {
  if (!h.protocolVersion || !STATELESS_REVISIONS.includes(h.protocolVersion)) return null;
  return new AppError(405, "method_not_allowed", `${what} is not part of MCP ${h.protocolVersion}: that revision is stateless (POST only)`, { allow: ["POST"] });
}

/**
 * GET /mcp (session-era Streamable HTTP): the standalone SSE stream, carrying list_changed
 * notifications for what this caller may see. A session id, when sent, must hold (404 otherwise)
 * and the stream lasts as long as the session; without one it ends after `maxStreamMs`.
 */
export async function openListenStream(svc: ListenServices, principal: Principal, h: ListenHeaders): Promise<McpAnswer> {
  const stateless = statelessRefusal(h, "GET /mcp");
  if (stateless) throw stateless;
  if (!acceptsSse(h.accept)) throw new AppError(406, "not_acceptable", "GET /mcp opens an SSE stream: send Accept: text/event-stream (POST /mcp for requests)", { header: "Accept" });
  let endsAt = svc.relay.now() + svc.maxStreamMs;
  if (h.sessionId) {
    const opened = await RequestRelay.open(svc.relay, { tenant: principal.tenant, subject: principal.subject }, { accept: h.accept, sessionId: h.sessionId });
    if (!opened.ok) throw sessionRefused(opened.reason);
    endsAt = opened.relay.session!.issuedAt + SESSION_MAX_AGE_MS;
  }
  const opened = await svc.hub.openStream(principal, endsAt, h.sessionId);
  if (!opened.ok) {
    // Refused at once (never queued), with the envelope and Retry-After as the other refusals.
    const mine = opened.reason === "principal_full";
    const message = mine
      ? "too many open GET /mcp streams for this caller on this server (MCP_LISTEN_MAX_PER_CALLER): close one first; one per session is enough"
      : "this server holds as many GET /mcp streams as it may (MCP_LISTEN_MAX_STREAMS): retry later";
    return { status: mine ? 429 : 503, body: { error: { code: mine ? "too_many_streams" : "overloaded", message, details: { retry_after_seconds: RETRY_AFTER_SECONDS } } }, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } };
  }
  return { status: 200, body: null, stream: opened.stream };
}

/** DELETE /mcp: ends the caller's session on every replica (later use of its id gets 404); 204. */
export async function endListenSession(svc: ListenServices, principal: Principal, h: ListenHeaders): Promise<McpAnswer> {
  const stateless = statelessRefusal(h, "DELETE /mcp");
  if (stateless) throw stateless;
  if (!h.sessionId) throw badRequest("DELETE /mcp ends a session: send the Mcp-Session-Id header that initialize returned", { header: "Mcp-Session-Id" });
  const opened = await RequestRelay.open(svc.relay, { tenant: principal.tenant, subject: principal.subject }, { accept: h.accept, sessionId: h.sessionId });
  if (!opened.ok) throw sessionRefused(opened.reason);
  await opened.relay.end();
  await svc.announceEnded(h.sessionId);
  return { status: 204, body: null };
}

/** The facts GET and DELETE read, from any header getter (a web Request's or node:http's). */
export function listenHeadersOf(get: (name: string) => string | null | undefined): ListenHeaders {
  return { accept: get("accept") ?? null, sessionId: get("mcp-session-id") ?? null, protocolVersion: get("mcp-protocol-version") ?? null };
}
