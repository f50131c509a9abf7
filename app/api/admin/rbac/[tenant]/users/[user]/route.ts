import { getMember, putMember, removeMember } from "@/lib/access/members";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 000 §6C: {"roles":[…]} (+ optional "groups", "slack_user_id", "slack_team_id"). withAuth checks the caller acts in {tenant}. */
export const PUT = withAuth("access.members.put", async ({ body, params, principal, services }) => putMember(services, principal, params.tenant, params.user, await body()));

export const GET = withAuth("access.members.get", async ({ params, principal, services }) => getMember(services, principal, params.tenant, params.user));

/** Removes the membership (the user's other tenants and identity stay); the tenant's last admin cannot be removed (409). */
export const DELETE = withAuth("access.members.remove", async ({ params, principal, services }) => removeMember(services, principal, params.tenant, params.user));

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
