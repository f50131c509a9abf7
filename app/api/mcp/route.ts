import { withAdmission } from "@/lib/data-plane";
import { withAuth } from "@/lib/server";
import { handleMcpRequest } from "@/lib/mcp/endpoint";
import { withMcpGuards } from "@/lib/mcp/http-guards";
import { endListenSession, listenHeadersOf, openListenStream } from "@/lib/mcp/listen/http";
import { SSE_HEADERS, webStream } from "@/lib/mcp/relay/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

// `npm start` and `canopy gateway` answer /mcp in lib/data-plane without this route; it serves `npm run dev`.
export const POST = withMcpGuards(withAdmission(withAuth("gateway.mcp", async ({ req, principal, services }) => handleMcpRequest(req, principal, { gateway: services.gateway, requestState: services.mcpRequestState, relay: services.mcpRelay, approvals: services.mcpChatApprovals }))));

/** The standalone SSE stream (session era): list_changed notifications. Long-lived, so outside the in-flight admission. */
export const GET = withMcpGuards(
  withAuth("gateway.mcpStream", async ({ req, principal, services }) => {
    const answer = await openListenStream(services.mcpListen, principal, listenHeadersOf((n) => req.headers.get(n)));
    if (!answer.stream) return Response.json(answer.body, { status: answer.status, headers: answer.headers });
    return new Response(webStream(answer.stream), { status: 200, headers: SSE_HEADERS });
  }),
);

/** What GET would answer, without holding a stream open (Next would otherwise run GET for HEAD). */
export const HEAD = withMcpGuards(withAuth("gateway.mcpStream", async () => new Response(null, { status: 200, headers: SSE_HEADERS })));

/** Ends the caller's session on every replica. */
export const DELETE = withMcpGuards(
  withAuth("gateway.mcpEnd", async ({ req, principal, services }) => {
    await endListenSession(services.mcpListen, principal, listenHeadersOf((n) => req.headers.get(n)));
    return new Response(null, { status: 204 });
  }),
);

export const { PUT, PATCH, OPTIONS } = methodsNotAllowed("GET", "POST", "DELETE");
