import { env, publicUrl } from "@/lib/env";
import { randomUUID } from "node:crypto";
import { AppError, toErrorEnvelope } from "@/lib/errors";
import { ROUTE_ID, routeIdOf } from "@/lib/http/route-table";
import type { ProtectedResourceMetadata } from "./protected-resource-schema";
import { type OriginAllowlist, originAllowed, parseOriginAllowlist } from "./origin-allowlist";

/**
 * What the two /mcp paths (the Next route and the node:http data plane) check and add around the
 * protocol itself, in one place so they answer alike: the Origin check, the 401 challenge and the
 * OAuth protected resource metadata (RFC 9728) the challenge points at.
 */

let parsed: { text: string; list: OriginAllowlist } | undefined;
function allowlist(): OriginAllowlist {
  const text = env().MCP_ALLOWED_ORIGINS;
  // Re-parsed only when the setting changes (tests reset the env between cases).
  if (parsed?.text !== text) parsed = { text, list: parseOriginAllowlist(text) };
  return parsed.list;
}

/** 403 for a present Origin that is not on MCP_ALLOWED_ORIGINS (the MCP transport's DNS-rebinding MUST); null to proceed. */
export function mcpOriginRefusal(origin: string | null | undefined): AppError | null {
  if (originAllowed(origin, allowlist(), publicUrl())) return null;
  return new AppError(
    403,
    "origin_not_allowed",
    `requests from the browser origin ${JSON.stringify(origin)} are refused: it is not in MCP_ALLOWED_ORIGINS (DNS-rebinding protection). Clients outside a browser send no Origin header`,
    { origin },
  );
}

export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";
/** The MCP paths whose path-suffixed metadata (RFC 9728 §3.1) is served too. */
const RESOURCE_PATHS = ["/mcp", "/api/mcp"];

/** The WWW-Authenticate value of a 401 from /mcp (MCP authorization: RFC 9728 §5.1). */
export function mcpChallenge(): string {
  return `Bearer resource_metadata="${publicUrl()}${PROTECTED_RESOURCE_PATH}"`;
}

/** Whether a request path is one of the metadata documents (root, or suffixed with an MCP path). */
export function isProtectedResourcePath(path: string): boolean {
  if (path === PROTECTED_RESOURCE_PATH) return true;
  return path.startsWith(PROTECTED_RESOURCE_PATH) && RESOURCE_PATHS.includes(path.slice(PROTECTED_RESOURCE_PATH.length));
}

/**
 * The metadata document at `path` (isProtectedResourcePath). `resource` is the identifier the
 * document was found by: the public URL for the root one (a prefix of both MCP paths, which
 * clients accept), the MCP path for a suffixed one.
 */
export function protectedResourceMetadata(path: string): ProtectedResourceMetadata {
  const base = publicUrl();
  const suffix = path.slice(PROTECTED_RESOURCE_PATH.length);
  const servers = env()
    .MCP_AUTHORIZATION_SERVERS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    resource: `${base}${suffix}`,
    ...(servers.length > 0 ? { authorization_servers: servers } : {}),
    bearer_methods_supported: ["header"],
    resource_name: "CanopyIQ MCP gateway",
    resource_documentation: `${base}/api/openapi.json`,
  };
}

/**
 * The Next route's side of the same rules (the data plane applies them in lib/data-plane/handler):
 * the Origin check before anything else (admission, authentication), the challenge on a 401.
 */
export function withMcpGuards<C>(handler: (req: Request, ctx: C) => Promise<Response>): (req: Request, ctx: C) => Promise<Response> {
  const guarded = async (req: Request, ctx: C): Promise<Response> => {
    const refused = mcpOriginRefusal(req.headers.get("origin"));
    if (refused) {
      const { status, body } = toErrorEnvelope(refused);
      const given = req.headers.get("x-request-id");
      return Response.json(body, { status, headers: { "x-request-id": given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID() } });
    }
    const res = await handler(req, ctx);
    if (res.status === 401) res.headers.set("www-authenticate", mcpChallenge());
    return res;
  };
  // The route table knows the handler by its id (lib/server/routes.test.ts): keep it.
  const id = routeIdOf(handler);
  if (id) Object.defineProperty(guarded, ROUTE_ID, { value: id });
  return guarded;
}
