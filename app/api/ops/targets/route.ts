import { NextResponse } from "next/server";
import { createTarget, listTargets } from "@/lib/ops/admin";
import { TargetListQuerySchema } from "@/lib/ops/admin-schemas";
import { TargetCreateBodySchema } from "@/lib/ops/targets";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's tenant's ops targets, by id, each with its last actions from the audit log. */
export const GET = withAuth(
  async ({ req, principal, services }) => listTargets(services.opsAdmin, principal, TargetListQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))),
  { permission: "ops.targets.read" },
);

/** Creates a target in the caller's tenant (201); audited. Credentials are secret names only. */
export const POST = withAuth(async ({ req, principal, services }) => NextResponse.json(await createTarget(services.opsAdmin, principal, await jsonBody(req, TargetCreateBodySchema)), { status: 201 }), {
  permission: "ops.targets.manage",
});

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
