import { withAuth } from "@/lib/auth";
import { getForPrincipal } from "@/lib/approvals/http";

export const dynamic = "force-dynamic";

/** One approval: votes (who, when, how), remaining approvals, expiry, and what the caller may do. */
export const GET = withAuth<{ id: string }>(async ({ params, principal }) => getForPrincipal(principal, params.id), { permission: "approvals.read" });
