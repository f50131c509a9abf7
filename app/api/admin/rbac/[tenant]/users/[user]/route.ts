import { jsonBody, withAuth } from "@/lib/auth";
import { readTenantUser, setTenantUser } from "@/lib/approvals/http";
import { rbacPutBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

type Params = { tenant: string; user: string };

/** Seed 000 §6C: {"roles":[…]} (+ optional "groups", "slack_user_id"). withAuth checks the caller acts in {tenant}. */
export const PUT = withAuth<Params>(
  async ({ req, params, principal }) => {
    const body = await jsonBody(req, rbacPutBodySchema);
    return setTenantUser(principal, params.tenant, params.user, body);
  },
  { permission: "rbac.manage" },
);

export const GET = withAuth<Params>(async ({ params }) => readTenantUser(params.tenant, params.user), { permission: "rbac.read" });

export const { POST, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "PUT");
