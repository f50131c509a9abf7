import { withAuth } from "@/lib/server";
import { listPolicyVersions, versionsQuerySchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withAuth("policy.versions", async ({ req, principal, services }) => listPolicyVersions(services, principal, versionsQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
