import { withAuth } from "@/lib/server";
import { describeActivePolicy, readPolicyText, validatePolicyText } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** POST: validate the YAML sent. GET (seed 004): validate the tenant's active policy. */
export const POST = withAuth(async ({ req }) => validatePolicyText(await readPolicyText(req)), { permission: "policies.read" });

export const GET = withAuth(async ({ principal, services }) => validatePolicyText((await describeActivePolicy((await services.db()).prisma, principal.tenant)).yaml), { permission: "policies.read" });

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
