import { withAuth } from "@/lib/server";
import { completeForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 004: POST /approvals/complete {dry_run_id, approval_code} — the code's approver votes approved, once. */
export const POST = withAuth("approvals.complete", async ({ body, principal, services }) => {
  const input = await body();
  return completeForPrincipal(services, principal, input);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
