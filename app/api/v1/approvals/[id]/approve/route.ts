import { jsonBody, withAuth } from "@/lib/server";
import { decideAsPrincipal } from "@/lib/approvals/http";
import { decideBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: {decision: approved|rejected, approver, comment, signature}; the signature is required for token callers. */
export const POST = withAuth("approvals.decide", async ({ req, params, principal, services }) => {
  const body = await jsonBody(req, decideBodySchema);
  return decideAsPrincipal(services, principal, params.id, body);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
