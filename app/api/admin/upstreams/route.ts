import { withAuth } from "@/lib/server";
import { listUpstreams } from "@/lib/mcp/upstreams/admin";
import { UpstreamQuerySchema } from "@/lib/mcp/upstreams/admin-schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Upstreams of upstreams.yaml and of the database visible to the caller's tenant, with live status. */
export const GET = withAuth("upstreams.list", async ({ req, principal, services }) => listUpstreams(principal, UpstreamQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams)), services.upstreamAdmin));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
