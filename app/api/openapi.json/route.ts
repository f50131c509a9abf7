import { withErrors } from "@/lib/auth";
import { publicUrl } from "@/lib/env";
import { buildOpenApi } from "@/lib/openapi";

export const dynamic = "force-dynamic";

export const GET = withErrors(async () => buildOpenApi(publicUrl()));
