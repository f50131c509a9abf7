import type { Db } from "@/lib/db";
import { listUpstreamRows } from "@/lib/db/upstreams";
import { type Env, envSecret } from "@/lib/env";
import type { Logger } from "@/lib/log";
import { AddressPolicy } from "./address-policy";
import type { Resolver } from "./network-guard";
import { UpstreamRegistry } from "./registry";

/** How often each replica re-reads the admin-managed upstreams (a change made here applies at once). */
export const DB_UPSTREAMS_RELOAD_MS = 3_000;

/**
 * Where admin-managed upstreams may connect: public addresses, plus the operator's
 * UPSTREAM_PRIVATE_ALLOWLIST, or everything with UPSTREAM_ALLOW_PRIVATE_NETWORKS=true.
 */
export function upstreamNetwork(e: Pick<Env, "UPSTREAM_ALLOW_PRIVATE_NETWORKS" | "UPSTREAM_PRIVATE_ALLOWLIST">): { policy: AddressPolicy; resolve?: Resolver } {
  return { policy: new AddressPolicy({ allowPrivate: e.UPSTREAM_ALLOW_PRIVATE_NETWORKS, allowlist: e.UPSTREAM_PRIVATE_ALLOWLIST }) };
}

/**
 * The process's upstreams: UPSTREAMS_PATH (default ./upstreams.yaml) merged with the
 * admin-managed HTTP upstreams of the database. Connects lazily. The composition root builds one
 * per process (each registry spawns its own stdio children).
 */
export function createUpstreamRegistry(e: Env, db: () => Promise<Db>, log: Logger): UpstreamRegistry {
  return UpstreamRegistry.fromFile(e.UPSTREAMS_PATH, {
    resolveSecret: envSecret,
    db: { load: async () => listUpstreamRows((await db()).prisma), reloadMs: DB_UPSTREAMS_RELOAD_MS },
    network: upstreamNetwork(e),
    // The detail (stderr, remote answers, host paths) is for operators only; callers see categories.
    onEvent: (e) => {
      const logger = log.child({ upstream: e.upstream, ...(e.tenant ? { tenant: e.tenant } : {}), ...(e.traceId ? { trace_id: e.traceId } : {}) });
      if (e.type === "connected") logger.info("upstream connected");
      else if (e.type === "tool_hidden") logger.warn({ detail: e.detail }, "upstream tool hidden: its name is taken");
      else logger.warn({ detail: e.detail }, e.type === "closed" ? "upstream connection lost" : e.type === "call_failed" ? "upstream call failed" : "upstream failed to start");
    },
    onDbProblem: (p) => log.warn({ tenant: p.tenant, upstream: p.name }, p.name ? `stored upstream skipped: ${p.message}` : p.message),
  });
}
