import { withAuth } from "@/lib/server";
import { describeActivePolicy, validatePolicyText } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** POST: validate the YAML sent. GET (seed 004): validate the tenant's active policy. */
export const POST = withAuth("policy.validate", async ({ body, services }) => validatePolicyText(services, await body()));

export const GET = withAuth("policy.validateActive", async ({ principal, services }) => validatePolicyText(services, (await describeActivePolicy((await services.db()).prisma, principal.tenant)).yaml));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
