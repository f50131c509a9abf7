import { deleteTarget, getTarget, updateTarget } from "@/lib/ops/admin";
import { TargetIdParamSchema } from "@/lib/ops/admin-schemas";
import { TargetUpdateBodySchema } from "@/lib/ops/targets";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

type Params = { id: string };

/** One target of the caller's tenant (404 for another tenant's). */
export const GET = withAuth<Params>(async ({ params, principal, services }) => getTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id), {
  permission: "ops.targets.read",
});

/** Replaces the target (its id cannot change); `if_updated_at` refuses a stale edit (409). Audited. */
export const PUT = withAuth<Params>(
  async ({ req, params, principal, services }) => updateTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id, await jsonBody(req, TargetUpdateBodySchema)),
  { permission: "ops.targets.manage" },
);

/** Deletes the target; audited. */
export const DELETE = withAuth<Params>(async ({ params, principal, services }) => deleteTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id), {
  permission: "ops.targets.manage",
});

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
