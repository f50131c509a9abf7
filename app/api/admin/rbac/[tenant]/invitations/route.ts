import { NextResponse } from "next/server";
import { inviteMember } from "@/lib/access/invitations";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Adds a member by email; 201 with the one-time link to set a password (shown this once). */
export const POST = withAuth("access.invitations.create", async ({ body, params, principal, services }) => NextResponse.json(await inviteMember(services, principal, params.tenant, await body()), { status: 201 }));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
