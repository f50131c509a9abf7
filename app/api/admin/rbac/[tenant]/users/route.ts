import { listMembers } from "@/lib/access/members";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The tenant's members with roles, groups, Slack link and login state, and its open invitations. withAuth checks the caller acts in {tenant}. */
export const GET = withAuth("access.members.list", async ({ query, params, principal, services }) => listMembers(services, principal, params.tenant, query().limit));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
