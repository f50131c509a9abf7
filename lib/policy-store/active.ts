import type { Db } from "@/lib/db";
import { activeVersionFor, getVersion } from "@/lib/db/policy-versions";
import { type CompiledPolicy, loadPolicy } from "@/lib/policy";

export interface ActivePolicy {
  compiled: CompiledPolicy;
  version: number;
  hash: string;
  signed: boolean;
  verified: boolean;
}

/** The tenants' active policies, compiled and cached; the composition root holds one per process. */
export interface ActivePolicies {
  /** The tenant's active policy, compiled; null when none is loaded (every call is then denied). */
  get(tenant: string, nowMs?: number): Promise<ActivePolicy | null>;
  /** After a rollout: forget which version each tenant runs (compiled versions stay valid). */
  forgetTenantVersions(): void;
}

export function createActivePolicies(getDb: () => Promise<Db>): ActivePolicies {
  // Compiled once per version; which version a tenant runs is re-read at most every second, so a
  // rollout reaches every replica within a second without a query per call.
  const compiledByVersion = new Map<number, ActivePolicy | Error>();
  const tenantVersion = new Map<string, { version: number | null; until: number }>();
  const loadingVersion = new Map<string, Promise<Awaited<ReturnType<typeof activeVersionFor>>>>();
  let forgotten = 0;

  async function get(tenant: string, nowMs: number = Date.now()): Promise<ActivePolicy | null> {
    const cached = tenantVersion.get(tenant);
    let versionId = cached && cached.until > nowMs ? cached.version : undefined;
    let row: Awaited<ReturnType<typeof activeVersionFor>> | undefined;
    if (versionId === undefined) {
      // One read per tenant at a time: every call arriving while it runs waits for the same answer
      // (under load, a query per call at each expiry queued hundreds of reads on the pool).
      let pending = loadingVersion.get(tenant);
      if (!pending) {
        const generation = forgotten;
        pending = (async () => {
          const { prisma } = await getDb();
          const r = await activeVersionFor(prisma, tenant);
          if (generation === forgotten) tenantVersion.set(tenant, { version: r?.id ?? null, until: nowMs + TENANT_TTL_MS });
          return r;
        })().finally(() => loadingVersion.delete(tenant));
        loadingVersion.set(tenant, pending);
      }
      row = await pending;
      versionId = row?.id ?? null;
    }
    if (versionId === null) return null;
    let entry = compiledByVersion.get(versionId);
    if (!entry) {
      if (!row || row.id !== versionId) {
        const { prisma } = await getDb();
        row = await getVersion(prisma, versionId);
      }
      if (!row) return null;
      const loaded = loadPolicy(row.yaml, { version: String(row.id) });
      entry = loaded.ok
        ? { compiled: loaded.compiled, version: row.id, hash: row.hash, signed: Boolean(row.signature), verified: row.verified }
        : new Error(`policy version ${row.id} does not compile: ${loaded.errors[0]?.message ?? "unknown error"}`);
      compiledByVersion.set(versionId, entry);
    }
    if (entry instanceof Error) throw entry;
    return entry;
  }

  return {
    get,
    forgetTenantVersions: () => {
      tenantVersion.clear();
      // A read begun before the rollout must not answer calls made after it.
      forgotten++;
      loadingVersion.clear();
    },
  };
}

const TENANT_TTL_MS = 1_000;
