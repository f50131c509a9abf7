import { jsonBody, withAuth } from "@/lib/auth";
import { gatewayEnforce, guardRequestSchema } from "@/lib/enforce";

export const dynamic = "force-dynamic";

export const POST = withAuth(async ({ req, principal }) => gatewayEnforce(principal, await jsonBody(req, guardRequestSchema)), { permission: "guard.enforce" });
