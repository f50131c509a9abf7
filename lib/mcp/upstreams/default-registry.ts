import type { AuditInput } from "@/lib/audit/schemas";
import type { Db } from "@/lib/db";
import { listUpstreamRows } from "@/lib/db/upstreams";
import { type Env, envSecret } from "@/lib/env";
import type { Logger } from "@/lib/log";
import { AddressPolicy } from "./address-policy";
import type { Resolver } from "./network-guard";
import type { UpstreamEvent } from "./connection";
import { UpstreamRegistry } from "./registry";

const HIDDEN = new Set<UpstreamEvent["type"]>(["tool_hidden", "resource_hidden", "resource_template_hidden", "prompt_hidden"]);

/**
 * A name hidden from a tenant because another upstream holds it, as that tenant's audit record
 * (null: not such an event, or no tenant to record it for).
 */
export function hiddenNameRecord(e: UpstreamEvent): AuditInput | null {
  if (!HIDDEN.has(e.type) || !e.tenant) return null;
  return { tenant: e.tenant, kind: "upstream_name_hidden", tool: e.name ? e.name.slice(0, 500) : null, decision: "hidden", reason: e.detail?.slice(0, 4000) ?? null, data: { upstream: e.upstream, event: e.type } };
}

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
export function createUpstreamRegistry(e: Env, db: () => Promise<Db>, log: Logger, audit?: (input: AuditInput) => Promise<unknown>): UpstreamRegistry {
  return UpstreamRegistry.fromFile(e.UPSTREAMS_PATH, {
    resolveSecret: envSecret,
    db: { load: async () => listUpstreamRows((await db()).prisma), reloadMs: DB_UPSTREAMS_RELOAD_MS },
    network: upstreamNetwork(e),
    // The detail (stderr, remote answers, host paths) is for operators only; callers see categories.
    onEvent: (e) => {
      const logger = log.child({ upstream: e.upstream, ...(e.tenant ? { tenant: e.tenant } : {}), ...(e.traceId ? { trace_id: e.traceId } : {}) });
      if (e.type === "connected") logger.info("upstream connected");
      else if (HIDDEN.has(e.type)) {
        logger.warn({ detail: e.detail }, `upstream ${e.type.replace(/_hidden$/, "").replace("_", " ")} hidden: its name is taken`);
        const record = hiddenNameRecord(e);
        if (record && audit) audit(record).catch((err: unknown) => logger.error({ err }, "a hidden name could not be recorded in the audit log"));
      }
      else logger.warn({ detail: e.detail }, e.type === "closed" ? "upstream connection lost" : e.type === "call_failed" ? "upstream call failed" : "upstream failed to start");
    },
    onDbProblem: (p) => log.warn({ tenant: p.tenant, upstream: p.name }, p.name ? `stored upstream skipped: ${p.message}` : p.message),
  });
}
