import { z } from "zod";
import type { Operation } from "./registry";

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean() }).loose()),
});

/** Every API operation. Each capability adds its own here, with the zod schemas its handlers use. */
export const operations: Operation[] = [
  { method: "get", path: "/api/health", summary: "Health of database, migrations, Redis and the active policy", tag: "system", permission: null, aliases: ["/health"], response: health },
  { method: "get", path: "/api/metrics", summary: "Prometheus metrics", tag: "system", permission: "metrics.read", aliases: ["/metrics"], responseContentType: "text/plain" },
  { method: "get", path: "/api/openapi.json", summary: "This document", tag: "system", permission: null },
];
