import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { isPlatformAdmin } from "@/lib/auth/platform";
import { platformTenant } from "@/lib/env";
import type { Principal } from "@/lib/auth/principal";
import { exposeFor } from "./expose";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"route" | "status">;
  decisions: Counter<"tenant" | "decision">;
  decisionLatency: Histogram<"decision">;
}

/** The Prometheus registry and series; the composition root builds one per process. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "canopyiq" });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({ name: "canopy_http_requests_total", help: "API requests by route and status", labelNames: ["route", "status"], registers: [registry] }),
    decisions: new Counter({ name: "canopy_decisions_total", help: "Policy decisions by tenant and outcome", labelNames: ["tenant", "decision"], registers: [registry] }),
    decisionLatency: new Histogram({
      name: "canopy_decision_seconds",
      help: "Time from request to decision on the tool-call path",
      labelNames: ["decision"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

/**
 * GET /api/metrics as the caller may see it: a platform admin every series; anyone else the
 * process-wide series and its own tenant's (decision counters are labelled by tenant).
 */
/** Platform admins and the platform tenant's metrics scrapers (Prometheus) see every tenant's series. */
function seesEveryTenant(principal: Principal): boolean {
  return isPlatformAdmin(principal) || (principal.tenant === platformTenant() && principal.roles.includes("metrics_scraper"));
}

export async function metricsResponseFor(m: Metrics, principal: Principal): Promise<Response> {
  const { registry } = m;
  const text = exposeFor(await registry.metrics(), seesEveryTenant(principal) ? null : principal.tenant);
  return new Response(text, { headers: { "content-type": registry.contentType } });
}

export { exposeFor, sampleLabels } from "./expose";
