import { withAuth } from "@/lib/server";
import { verifyAudit } from "@/lib/audit/http";
import { verifyQuerySchema } from "@/lib/audit/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Recompute the tenant's whole chain: {ok, count, …} or the first broken seq and what is wrong. */
export const GET = withAuth("audit.verify", async ({ req, principal, services }) => verifyAudit(services.audit, principal, verifyQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams)).tenant));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
