import { withAuth } from "@/lib/server";
import { listPolicyVersions, versionsQuerySchema } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withAuth(
  async ({ req, principal, services }) => listPolicyVersions(services, principal, versionsQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))),
  { permission: "policies.read" },
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
