import { z } from "zod";
import { simulateRequestSchema, simulateResponseSchema, validateResponseSchema } from "@/lib/policies/schemas";
import type { Operation } from "./registry";

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean() }).loose()),
});

/** Every API operation. Each capability adds its own here, with the zod schemas its handlers use. */
export const operations: Operation[] = [
  { method: "get", path: "/api/health", summary: "Health of database, migrations, Redis and the active policy", tag: "system", permission: null, aliases: ["/health"], response: health },
  { method: "get", path: "/api/metrics", summary: "Prometheus metrics", tag: "system", permission: "metrics.read", aliases: ["/metrics"], responseContentType: "text/plain" },
  {
    method: "post", path: "/api/v1/policy/validate", summary: "Validate policy YAML; errors carry line and column", tag: "policy",
    permission: "policies.read", aliases: ["/v1/policy/validate"], body: z.string(), bodyContentType: "text/yaml", response: validateResponseSchema,
  },
  {
    method: "post", path: "/api/v1/policy/simulate", summary: "Decide a what-if call with the full trace (inline policy or the tenant's active one)", tag: "policy",
    permission: "policies.simulate", aliases: ["/v1/policy/simulate"], body: simulateRequestSchema, response: simulateResponseSchema,
  },
  { method: "get", path: "/api/openapi.json", summary: "This document", tag: "system", permission: null },
];
