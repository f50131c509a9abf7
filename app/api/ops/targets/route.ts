import { NextResponse } from "next/server";
import { createTarget, listTargets } from "@/lib/ops/admin";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's tenant's ops targets, by id, each with its last actions from the audit log. */
export const GET = withAuth("ops.targets.list", async ({ query, principal, services }) => listTargets(services.opsAdmin, principal, query()));

/** Creates a target in the caller's tenant (201); audited. Credentials are secret names only. */
export const POST = withAuth("ops.targets.create", async ({ body, principal, services }) => NextResponse.json(await createTarget(services.opsAdmin, principal, await body()), { status: 201 }));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
