import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Replaces the tenant's rate limits, concurrency and budgets (absent = no limit) and returns
 * what was stored. withAuth checks the caller acts in {tenant}.
 */
export const PUT = withAuth("quotas.put", async ({ body, params, principal, services }) => services.quotas.setConfig(params.tenant, await body(), principal.subject));

/** The configuration and the usage of the current UTC day and month (requests, USD spent). */
export const GET = withAuth("quotas.get", async ({ params, services }) => services.quotas.describe(params.tenant, services.clock.now()));

export const { POST, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "PUT");
