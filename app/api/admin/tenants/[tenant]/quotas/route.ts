import { jsonBody, withAuth } from "@/lib/auth";
import { getQuotas, QuotaConfigBodySchema } from "@/lib/quota";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

type Params = { tenant: string };

/**
 * Replaces the tenant's rate limits, concurrency and budgets (absent = no limit) and returns
 * what was stored. withAuth checks the caller acts in {tenant}.
 */
export const PUT = withAuth<Params>(
  async ({ req, params, principal }) => getQuotas().setConfig(params.tenant, await jsonBody(req, QuotaConfigBodySchema), principal.subject),
  { permission: "quotas.manage" },
);

/** The configuration and the usage of the current UTC day and month (requests, USD spent). */
export const GET = withAuth<Params>(async ({ params }) => getQuotas().describe(params.tenant, new Date()), { permission: "quotas.read" });

export const { POST, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "PUT");
