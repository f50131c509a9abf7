import { withAuth } from "@/lib/server";
import { getForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** One approval: votes (who, when, how), remaining approvals, expiry, and what the caller may do. */
export const GET = withAuth("approvals.get", async ({ params, principal, services }) => getForPrincipal(services, principal, params.id));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
