import { NextResponse } from "next/server";
import { listTokens, mintTokenFor } from "@/lib/access/api-tokens";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Mints a token for the caller's tenant; 201 with the token, shown this once. */
export const POST = withAuth("tokens.mint", async ({ body, principal, services }) => NextResponse.json(await mintTokenFor(services, principal, await body()), { status: 201 }));

/** The caller's tenant's tokens, newest first (never the tokens themselves). */
export const GET = withAuth("tokens.list", async ({ query, principal, services }) => listTokens(services, principal.tenant, query()));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
