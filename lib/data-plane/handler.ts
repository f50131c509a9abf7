import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerToken, hasSessionCookie } from "@/lib/auth/authenticate";
import type { Principal } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/require-permission";
import { toErrorEnvelope, unauthorized } from "@/lib/errors";
import { PAYLOAD_TOO_LARGE, readNodeBodyText } from "@/lib/http/body";
import { allowedMethods } from "@/lib/http/methods";
import { ROUTES } from "@/lib/http/route-table";
import { answerMcp, mcpHeadersOf } from "@/lib/mcp/endpoint";
import { mcpChallenge, mcpOriginRefusal } from "@/lib/mcp/http-guards";
import { openRelay, writeNodeStream } from "@/lib/mcp/relay/http";
import { services } from "@/lib/server";
import type { Admission } from "./admission";
import { overloadBodyText } from "./overload";

const MCP = ROUTES["gateway.mcp"];
const CANONICAL_PATH = MCP.path;

/** The paths the data plane answers itself (the canonical one and the seed's alias). */
export const DATA_PLANE_PATHS: ReadonlySet<string> = new Set([CANONICAL_PATH, ...MCP.aliases.map((a) => a.path)]);
const ALLOW = allowedMethods(["POST"]);
const ALLOW_HEADER = ALLOW.join(", ");

/** The caller's x-request-id when it is a sane token, else a fresh one (as the route wrapper does). */
function requestIdFrom(given: string | undefined): string {
  return given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
}

/** A single-valued request header, or null. */
const header = (req: IncomingMessage, name: string): string | null => {
  const v = req.headers[name];
  return typeof v === "string" ? v : null;
};

/** 403 unless the roles grant the /mcp route's permission, worded as the route wrapper words it. */
function requireMcpCall(principal: Principal): void {
  requirePermission(principal, MCP.permission);
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface DataPlaneOptions {
  admission: Admission;
  /**
   * Where everything else goes: other paths, and /mcp requests that carry a console session
   * instead of a bearer token (sessions are next-auth's). Absent (`canopy gateway`): 404, and 401
   * for a session.
   */
  fallback?: NodeHandler;
  /** Whether the fallback understands console sessions (Next does; the gateway's own does not). Default: when a fallback is given. */
  sessions?: boolean;
}

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q < 0 ? u : u.slice(0, q);
}

function send(res: ServerResponse, status: number, body: object | null, headers: Record<string, string>) {
  if (res.headersSent) return void res.end();
  if (body === null) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }).end(text);
}

function sendError(res: ServerResponse, err: unknown, requestId: string) {
  const { status, body } = toErrorEnvelope(err);
  if (status >= 500) services().log.error({ err, requestId, path: CANONICAL_PATH }, "request failed");
  const tooLarge = body.error.code === PAYLOAD_TOO_LARGE;
  // A body past the limit is left unread: the connection cannot carry another request.
  send(res, status, body, { "x-request-id": requestId, ...(tooLarge ? { connection: "close" } : {}), ...(status === 401 ? { "www-authenticate": mcpChallenge() } : {}) });
}

/**
 * MCP over node:http, the same answers as app/api/mcp/route.ts (both call lib/mcp/endpoint's
 * answerMcp) without Next's per-request machinery: admission first (fast 503 past the in-flight
 * bound), bearer authentication (verified tokens cached, revocation checked on every use), the
 * RBAC check, the bounded body, the pipeline. The caller's disconnect aborts the call upstream.
 */
export function createDataPlaneHandler(o: DataPlaneOptions): NodeHandler {
  const notFound: NodeHandler = (req, res) =>
    send(res, 404, { error: { code: "not_found", message: `${pathOf(req.url)} is not served here: this process serves the MCP data plane only (POST /mcp or /api/mcp)` } }, {});
  const fallback = o.fallback ?? notFound;

  return async (req, res) => {
    if (!DATA_PLANE_PATHS.has(pathOf(req.url))) return fallback(req, res);
    const requestId = requestIdFrom(req.headers["x-request-id"] as string | undefined);
    if (req.method !== "POST") {
      if (req.method === "OPTIONS") return send(res, 204, null, { allow: ALLOW_HEADER });
      const message = `${req.method} is not supported on ${CANONICAL_PATH}; use POST (see /api/openapi.json)`;
      return send(res, 405, { error: { code: "method_not_allowed", message, details: { allow: ALLOW } } }, { allow: ALLOW_HEADER });
    }
    const badOrigin = mcpOriginRefusal(req.headers.origin);
    if (badOrigin) {
      req.resume(); // refused before authentication: nothing of the body is read
      return sendError(res, badOrigin, requestId);
    }
    const authorization = req.headers.authorization;
    if (authorization === undefined && (o.sessions ?? Boolean(o.fallback)) && hasSessionCookie(req.headers.cookie ?? "")) return fallback(req, res);

    const admitted = o.admission.tryEnter();
    if (!admitted.ok) {
      // Before authentication and the body: past capacity a refusal must cost next to nothing,
      // so the admitted calls keep the cores. Counted for the audit log (refusal-audit.ts).
      req.resume(); // nothing of the body is wanted
      const b = overloadBodyText(admitted);
      res
        .writeHead(503, { "retry-after": String(admitted.retryAfterSeconds), "x-request-id": requestId, "content-type": "application/json", "content-length": b.length })
        .end(b.text);
      return;
    }
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
    };
    res.once("close", onClose);
    try {
      if (authorization === undefined) throw unauthorized();
      const svc = services();
      const principal = await svc.auth.principalFromBearer(bearerToken(authorization));
      requireMcpCall(principal);
      const opened = await openRelay(svc.mcpRelay, principal, header(req, "accept"), header(req, "mcp-session-id"));
      const headers = mcpHeadersOf((name) => req.headers[name] as string | undefined);
      const answer =
        "refused" in opened
          ? opened.refused
          : await answerMcp({ gateway: svc.gateway, requestState: svc.mcpRequestState, approvals: svc.mcpChatApprovals }, { text: await readNodeBodyText(req, "mcp"), headers }, principal, controller.signal, opened.relay);
      if ("refused" in opened) req.resume();
      if (answer.stream) await writeNodeStream(res, answer.stream, { ...answer.headers, "x-request-id": requestId });
      else send(res, answer.status, answer.body, { ...answer.headers, "x-request-id": requestId });
    } catch (err) {
      sendError(res, err, requestId);
    } finally {
      admitted.release();
    }
  };
}
