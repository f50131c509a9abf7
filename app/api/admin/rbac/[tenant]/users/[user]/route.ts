import { getMember, putMember, removeMember } from "@/lib/access/members";
import { memberPutBodySchema } from "@/lib/access/schemas";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

type Params = { tenant: string; user: string };

/** Seed 000 §6C: {"roles":[…]} (+ optional "groups", "slack_user_id", "slack_team_id"). withAuth checks the caller acts in {tenant}. */
export const PUT = withAuth<Params>(
  async ({ req, params, principal, services }) => putMember(services, principal, params.tenant, params.user, await jsonBody(req, memberPutBodySchema)),
  { permission: "rbac.manage" },
);

export const GET = withAuth<Params>(async ({ params, principal, services }) => getMember(services, principal, params.tenant, params.user), { permission: "rbac.read" });

/** Removes the membership (the user's other tenants and identity stay); the tenant's last admin cannot be removed (409). */
export const DELETE = withAuth<Params>(async ({ params, principal, services }) => removeMember(services, principal, params.tenant, params.user), { permission: "rbac.manage" });

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
