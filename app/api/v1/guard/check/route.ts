import { jsonBody, withAuth } from "@/lib/server";
import { guardRequestSchema } from "@/lib/enforce";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const POST = withAuth("gateway.check", async ({ req, principal, services }) => services.gateway.check(principal, await jsonBody(req, guardRequestSchema)));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
