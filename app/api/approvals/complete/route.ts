import { jsonBody, withAuth } from "@/lib/server";
import { completeForPrincipal } from "@/lib/approvals/http";
import { completeBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 004: POST /approvals/complete {dry_run_id, approval_code} — the code's approver votes approved, once. */
export const POST = withAuth("approvals.complete", async ({ req, principal, services }) => {
  const body = await jsonBody(req, completeBodySchema);
  return completeForPrincipal(services, principal, body);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
