import { withAuth } from "@/lib/auth";
import { metrics } from "@/lib/metrics";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withAuth(async () => {
  const { registry } = metrics();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
}, { permission: "metrics.read" });

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
