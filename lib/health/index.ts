import type { Services } from "@/lib/server/types";
import { migrationStatus } from "@/lib/db/migrate";
import { stableVersion } from "@/lib/db/policy-versions";

export interface Health {
  status: "ok" | "degraded";
  checks: {
    db: { ok: boolean; kind?: string; error?: string; latency_ms?: number };
    migrations: { ok: boolean; applied?: number; pending?: string[]; unknown?: string[]; error?: string };
    redis: { ok: boolean; kind?: string; error?: string; latency_ms?: number };
    policy: { ok: boolean; version?: number; hash?: string; signed?: boolean; verified?: boolean; error?: string };
    /** Whether this process's audit log can write: every call is refused while it cannot. */
    audit: { ok: boolean; error?: string; last_success_at?: string | null; last_failure_at?: string | null };
  };
}

async function timed<T>(fn: () => Promise<T>, ms: number): Promise<{ value: T; latency: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { value, latency: Math.round((performance.now() - started) * 100) / 100 };
  } finally {
    clearTimeout(timer);
  }
}

/** Every dependency checked with a bounded wait; healthy only when all are. */

export async function checkHealth(svc: Services): Promise<Health> {
  const checks: Health["checks"] = { db: { ok: false }, migrations: { ok: false }, redis: { ok: false }, policy: { ok: false }, audit: { ok: false } };
  try {
    const db = await timed(() => svc.db(), 10_000);
    const { sql, prisma } = db.value;
    try {
      const ping = await timed(() => sql.query("SELECT 1"), 2_000);
      checks.db = { ok: true, kind: sql.kind, latency_ms: ping.latency };
      const m = await migrationStatus(sql);
      checks.migrations = { ok: m.pending.length === 0, applied: m.applied, pending: m.pending, unknown: m.unknown };
      // The fleet's version, not the newest stored: that may be one tenant's own (and this is public).
      const v = await stableVersion(prisma);
      checks.policy = v
        ? { ok: true, version: v.id, hash: v.hash, signed: Boolean(v.signature), verified: v.verified }
        : { ok: false, error: "no policy version loaded: every call is denied" };
    } catch (e) {
      checks.db = { ok: false, kind: sql.kind, error: (e as Error).message };
    }
  } catch (e) {
    checks.db = { ok: false, error: (e as Error).message };
  }
  const kv = svc.kv;
  try {
    const ping = await timed(() => kv.ping(), 2_000);
    checks.redis = { ok: true, kind: kv.kind, latency_ms: ping.latency };
  } catch (e) {
    checks.redis = { ok: false, kind: kv.kind, error: (e as Error).message };
  }
  try {
    checks.audit = svc.audit.writeHealth();
  } catch (e) {
    checks.audit = { ok: false, error: (e as Error).message };
  }
  const ok = Object.values(checks).every((c) => c.ok);
  return { status: ok ? "ok" : "degraded", checks };
}
