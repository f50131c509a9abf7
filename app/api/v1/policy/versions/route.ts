import { withAuth } from "@/lib/server";
import { listPolicyVersions } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withAuth("policy.versions", async ({ query, principal, services }) => listPolicyVersions(services, principal, query()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
