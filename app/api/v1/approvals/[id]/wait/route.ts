import { withAuth } from "@/lib/server";
import { waitForPrincipal } from "@/lib/approvals/http";
import { waitQuerySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Long poll: the approval once it leaves pending, or as it is when `timeout` seconds (at most 60) pass. */
export const GET = withAuth("approvals.wait", async ({ req, params, principal, services }) => {
  const q = waitQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams));
  return waitForPrincipal(services, principal, params.id, q.timeout);
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
