import { withAuth } from "@/lib/server";
import { revealCodeForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's personal one-time approval code for this pending approval (eligible approvers only; audited). */
export const POST = withAuth("approvals.revealCode", async ({ params, principal, services }) => revealCodeForPrincipal(services, principal, params.id));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
