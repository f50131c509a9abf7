import { withAuth } from "@/lib/server";
import { verifyAudit } from "@/lib/audit/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Recompute the tenant's whole chain: {ok, count, …} or the first broken seq and what is wrong. */
export const GET = withAuth("audit.verify", async ({ query, principal, services }) => verifyAudit(services.audit, principal, query().tenant));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
