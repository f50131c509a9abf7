import { deleteTarget, getTarget, updateTarget } from "@/lib/ops/admin";
import { TargetIdParamSchema } from "@/lib/ops/admin-schemas";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** One target of the caller's tenant (404 for another tenant's). */
export const GET = withAuth("ops.targets.get", async ({ params, principal, services }) => getTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id));

/** Replaces the target (its id cannot change); `if_updated_at` refuses a stale edit (409). Audited. */
export const PUT = withAuth("ops.targets.update", async ({ body, params, principal, services }) => updateTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id, await body()));

/** Deletes the target; audited. */
export const DELETE = withAuth("ops.targets.delete", async ({ params, principal, services }) => deleteTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id));

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
