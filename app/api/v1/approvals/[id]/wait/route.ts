import { withAuth } from "@/lib/server";
import { waitForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Long poll: the approval once it leaves pending, or as it is when `timeout` seconds (at most 60) pass. */
export const GET = withAuth("approvals.wait", async ({ query, params, principal, services }) => {
  const q = query();
  return waitForPrincipal(services, principal, params.id, q.timeout);
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
