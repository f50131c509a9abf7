import { withAuth } from "@/lib/server";
import { verifyForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: {signature} → {valid: true, approval: {...}} or {valid: false, error: "Invalid signature"}. */
export const POST = withAuth("approvals.verify", async ({ body, params, principal, services }) => {
  const input = await body();
  return verifyForPrincipal(services, principal, params.id, input);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
