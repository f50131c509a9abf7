import { jsonBody, withAuth } from "@/lib/server";
import { guardRequestSchema } from "@/lib/enforce";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth(async ({ req, principal, services }) => services.gateway.check(principal, await jsonBody(req, guardRequestSchema)), { permission: "guard.check" });

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
