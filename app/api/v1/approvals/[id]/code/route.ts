import { withAuth } from "@/lib/server";
import { revealCodeForPrincipal } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's personal one-time approval code for this pending approval (eligible approvers only; audited). */
export const POST = withAuth<{ id: string }>(async ({ params, principal, services }) => revealCodeForPrincipal(services, principal, params.id), { permission: "approvals.decide" });

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
