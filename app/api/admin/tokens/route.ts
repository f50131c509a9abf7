import { NextResponse } from "next/server";
import { listTokens, mintTokenFor } from "@/lib/access/api-tokens";
import { mintTokenBodySchema, tokenListQuerySchema } from "@/lib/access/token-schemas";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Mints a token for the caller's tenant; 201 with the token, shown this once. */
export const POST = withAuth("tokens.mint", async ({ req, principal, services }) => NextResponse.json(await mintTokenFor(services, principal, await jsonBody(req, mintTokenBodySchema)), { status: 201 }));

/** The caller's tenant's tokens, newest first (never the tokens themselves). */
export const GET = withAuth("tokens.list", async ({ req, principal, services }) => listTokens(services, principal.tenant, tokenListQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
