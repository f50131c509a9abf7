import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";
import { metricsResponseFor } from "@/lib/metrics";

export const dynamic = "force-dynamic";

/** Prometheus text: every series for platform admins; for anyone else, its own tenant's and the process-wide ones. */
export const GET = withAuth("system.metrics", async ({ principal, services }) => metricsResponseFor(services.metrics, principal));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
