import { NextResponse } from "next/server";
import { withErrors } from "@/lib/server";
import { notFound } from "@/lib/errors";
import { methodsNotAllowed } from "@/lib/http/methods";
import { ROUTE_ID, routeIdOf } from "@/lib/http/route-table";
import { isProtectedResourcePath, protectedResourceMetadata } from "@/lib/mcp/http-guards";

export const dynamic = "force-dynamic";

// OAuth protected resource metadata (RFC 9728) for /mcp: what its 401's WWW-Authenticate points at.
// Public: it names the resource and its authorization servers, nothing about any caller.
const get = withErrors("gateway.protectedResource", async ({ req }) => {
  const path = new URL(req.url).pathname;
  if (!isProtectedResourcePath(path)) throw notFound(`${path} is not a metadata document of this server: see /.well-known/oauth-protected-resource`);
  return NextResponse.json(protectedResourceMetadata(path), { headers: { "cache-control": "public, max-age=300" } });
});

// The document is chosen by the whole path (root or MCP-path suffixed), not by the segments.
export const GET = Object.defineProperty((req: Request) => get(req, { params: Promise.resolve({}) }), ROUTE_ID, { value: routeIdOf(get) });

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
