import { NextResponse } from "next/server";
import { ActivateEmergencySchema, EndEmergencySchema } from "@/lib/ops/emergency";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's tenant's break-glass state: the live activation (if any), the maximum, recent ones. */
export const GET = withAuth(async ({ principal, services }) => services.emergency.status(principal.tenant), { permission: "ops.targets.read" });

/** Activates break-glass (201) for a bounded time with a reason; a platform admin may name another tenant. Audited. */
export const POST = withAuth(
  async ({ req, principal, services }) => NextResponse.json(await services.emergency.activate(principal, await jsonBody(req, ActivateEmergencySchema)), { status: 201 }),
  { permission: "ops.emergency.manage" },
);

/** Ends the live activation early (?tenant= for a platform admin acting on another tenant). Audited. */
export const DELETE = withAuth(
  async ({ req, principal, services }) => services.emergency.end(principal, EndEmergencySchema.parse(Object.fromEntries(new URL(req.url).searchParams))),
  { permission: "ops.emergency.manage" },
);

export const { PUT, PATCH, OPTIONS } = methodsNotAllowed("GET", "POST", "DELETE");
