import { jsonBody, withAuth } from "@/lib/server";
import { verifyForPrincipal } from "@/lib/approvals/http";
import { verifyBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: {signature} → {valid: true, approval: {...}} or {valid: false, error: "Invalid signature"}. */
export const POST = withAuth("approvals.verify", async ({ req, params, principal, services }) => {
  const body = await jsonBody(req, verifyBodySchema);
  return verifyForPrincipal(services, principal, params.id, body);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
