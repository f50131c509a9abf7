import { withAuth } from "@/lib/server";
import { describeActivePolicy } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withAuth("policy.active", async ({ principal, services }) => describeActivePolicy((await services.db()).prisma, principal.tenant));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
