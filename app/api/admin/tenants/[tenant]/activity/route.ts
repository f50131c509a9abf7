import { tenantActivityQuerySchema } from "@/lib/access/schemas";
import { tenantActivity } from "@/lib/access/tenants";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Calls per minute and spend per day vs the daily budget, bucketed by Postgres. withAuth checks the caller acts in {tenant}. */
export const GET = withAuth("tenants.activity", async ({ req, params, services }) => tenantActivity(services, params.tenant, tenantActivityQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
