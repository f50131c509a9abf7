import { withAdmission } from "@/lib/data-plane";
import { withAuth } from "@/lib/server";
import { handleMcpRequest } from "@/lib/mcp/endpoint";
import { withMcpGuards } from "@/lib/mcp/http-guards";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

// Stateless Streamable HTTP: no SSE stream to GET, no session to DELETE (both answer 405).
// `npm start` and `canopy gateway` answer /mcp in lib/data-plane without this route; it serves `npm run dev`.
export const POST = withMcpGuards(withAdmission(withAuth("gateway.mcp", async ({ req, principal, services }) => handleMcpRequest(req, principal, { gateway: services.gateway, requestState: services.mcpRequestState, relay: services.mcpRelay, approvals: services.mcpChatApprovals }))));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
