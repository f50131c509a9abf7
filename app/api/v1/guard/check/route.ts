import { jsonBody, withAuth } from "@/lib/auth";
import { gatewayCheck, guardRequestSchema } from "@/lib/enforce";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth(async ({ req, principal }) => gatewayCheck(principal, await jsonBody(req, guardRequestSchema)), { permission: "guard.check" });

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
