import { testTarget } from "@/lib/ops/admin";
import { TargetIdParamSchema } from "@/lib/ops/admin-schemas";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** "Test connection": connects to the target and reports what answered; changes nothing there. Recorded. */
export const POST = withAuth("ops.targets.test", async ({ req, params, principal, services }) => testTarget(services.opsAdmin, principal, TargetIdParamSchema.parse(params).id, req.signal));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
