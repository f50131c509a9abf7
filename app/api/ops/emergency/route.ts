import { NextResponse } from "next/server";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's tenant's break-glass state: the live activation (if any), the maximum, recent ones. */
export const GET = withAuth("ops.emergency.status", async ({ principal, services }) => services.emergency.status(principal.tenant));

/** Activates break-glass (201) for a bounded time with a reason; a platform admin may name another tenant. Audited. */
export const POST = withAuth("ops.emergency.activate", async ({ body, principal, services }) => NextResponse.json(await services.emergency.activate(principal, await body()), { status: 201 }));

/** Ends the live activation early (?tenant= for a platform admin acting on another tenant). Audited. */
export const DELETE = withAuth("ops.emergency.end", async ({ query, principal, services }) => services.emergency.end(principal, query()));

export const { PUT, PATCH, OPTIONS } = methodsNotAllowed("GET", "POST", "DELETE");
