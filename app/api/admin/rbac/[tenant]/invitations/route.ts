import { NextResponse } from "next/server";
import { inviteMember } from "@/lib/access/invitations";
import { inviteBodySchema } from "@/lib/access/schemas";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Adds a member by email; 201 with the one-time link to set a password (shown this once). */
export const POST = withAuth("access.invitations.create", async ({ req, params, principal, services }) => NextResponse.json(await inviteMember(services, principal, params.tenant, await jsonBody(req, inviteBodySchema)), { status: 201 }));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
