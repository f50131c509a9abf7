import { tenantActivity } from "@/lib/access/tenants";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Calls per minute and spend per day vs the daily budget, bucketed by Postgres. withAuth checks the caller acts in {tenant}. */
export const GET = withAuth("tenants.activity", async ({ query, params, services }) => tenantActivity(services, params.tenant, query()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
