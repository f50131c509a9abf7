import { withAuth } from "@/lib/server";
import { decideAsPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: {decision: approved|rejected, approver, comment, signature}; the signature is required for token callers. */
export const POST = withAuth("approvals.decide", async ({ body, params, principal, services }) => {
  const input = await body();
  return decideAsPrincipal(services, principal, params.id, input);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
