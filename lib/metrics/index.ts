import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

interface Metrics {
  registry: Registry;
  httpRequests: Counter<"route" | "status">;
  decisions: Counter<"tenant" | "decision">;
  decisionLatency: Histogram<"decision">;
}

const g = globalThis as { __canopyMetrics?: Metrics };

/** One registry per process (Next.js may load this module in several bundles). */
export function metrics(): Metrics {
  if (g.__canopyMetrics) return g.__canopyMetrics;
  const registry = new Registry();
  registry.setDefaultLabels({ service: "canopyiq" });
  collectDefaultMetrics({ register: registry });
  g.__canopyMetrics = {
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
  return g.__canopyMetrics;
}
