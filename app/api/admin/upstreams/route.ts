import { withAuth } from "@/lib/server";
import { listUpstreams } from "@/lib/mcp/upstreams/admin";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Upstreams of upstreams.yaml and of the database visible to the caller's tenant, with live status. */
export const GET = withAuth("upstreams.list", async ({ query, principal, services }) => listUpstreams(principal, query(), services.upstreamAdmin));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
