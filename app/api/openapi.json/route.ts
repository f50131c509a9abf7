import { withErrors } from "@/lib/server";
import { publicUrl } from "@/lib/env";
import { buildOpenApi } from "@/lib/openapi";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withErrors("system.openapi", async () => buildOpenApi(publicUrl()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
