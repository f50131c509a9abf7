import type { StdioServerConfig } from "./config";
import { TENANT_REF, TENANT_SLUG } from "./config";
import type { UpstreamConnection, UpstreamStatus } from "./connection";
import { UpstreamUnavailableError } from "./errors";

/**
 * Processes a per-tenant server may run at once when upstreams.yaml does not say (`max_processes`).
 * The filesystem server takes about 70 MB each: 8 bounds it near 600 MB.
 */
export const DEFAULT_MAX_TENANT_PROCESSES = 8;

/**
 * The server entry for one tenant: `${TENANT}` replaced in args, create_dirs, cwd and path_map
 * values. The id is checked to be a slug first, so it can never add a `/` or `..` to a path.
 */
export function serverForTenant(template: StdioServerConfig, tenant: string): StdioServerConfig {
  if (!TENANT_SLUG.test(tenant)) throw new Error(`tenant id ${JSON.stringify(tenant)} is not a slug; refusing to use it in a path`);
  const sub = (v: string) => v.split(TENANT_REF).join(tenant);
  return {
    ...template,
    args: template.args.map(sub),
    create_dirs: template.create_dirs.map(sub),
    ...(template.cwd !== undefined ? { cwd: sub(template.cwd) } : {}),
    path_map: Object.fromEntries(Object.entries(template.path_map).map(([k, v]) => [k, sub(v)])),
  };
}

interface Slot {
  tenant: string;
  server: StdioServerConfig;
  connection: UpstreamConnection;
  /** Calls and listings in flight: a busy process is never stopped to make room. */
  busy: number;
}

/**
 * One process per tenant for a `per_tenant` stdio server, started lazily and bounded: at most
 * `max` live at once; to start another, the least recently used idle one is closed.
 */
export class TenantPool {
  /** In least-recently-used order (a Map keeps insertion order; use re-inserts). */
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(
    readonly template: StdioServerConfig,
    private readonly make: (server: StdioServerConfig, tenant: string) => UpstreamConnection,
    readonly max: number = template.max_processes ?? DEFAULT_MAX_TENANT_PROCESSES,
  ) {}

  /** Runs `fn` on the tenant's process (started if needed); the slot counts as busy meanwhile. */
  async use<T>(tenant: string | undefined, fn: (slot: { server: StdioServerConfig; connection: UpstreamConnection }) => Promise<T>): Promise<T> {
    const slot = this.acquire(tenant);
    slot.busy++;
    try {
      return await fn(slot);
    } finally {
      slot.busy--;
    }
  }

  private acquire(tenant: string | undefined): Slot {
    const name = this.template.name;
    if (tenant === undefined) throw new UpstreamUnavailableError(`upstream ${name} runs one process per tenant, and this call names no tenant`, name, null);
    if (this.closed) throw new UpstreamUnavailableError(`upstream ${name} is unavailable: the gateway is shutting down`, name, null);
    const existing = this.slots.get(tenant);
    if (existing) {
      this.slots.delete(tenant);
      this.slots.set(tenant, existing);
      return existing;
    }
    if (this.slots.size >= this.max) {
      const idle = [...this.slots.values()].find((s) => s.busy === 0);
      if (!idle) {
        throw new UpstreamUnavailableError(`upstream ${name} is at its limit of ${this.max} tenant processes, all busy; retry shortly`, name, null);
      }
      this.slots.delete(idle.tenant);
      void idle.connection.close("its process was stopped to make room for another tenant's");
    }
    const server = serverForTenant(this.template, tenant);
    const slot: Slot = { tenant, server, connection: this.make(server, tenant), busy: 0 };
    this.slots.set(tenant, slot);
    return slot;
  }

  /** Tenants with a live (or starting) process, least recently used first. */
  tenants(): string[] {
    return [...this.slots.keys()];
  }

  /** The tenant's process status; without a tenant, every process's. A tenant without one is idle. */
  status(tenant: string | undefined): (UpstreamStatus & { tenant: string | null })[] {
    if (tenant === undefined) return [...this.slots.values()].map((s) => ({ ...s.connection.status(), tenant: s.tenant }));
    const slot = this.slots.get(tenant);
    if (slot) return [{ ...slot.connection.status(), tenant }];
    return [{ name: this.template.name, transport: "stdio", state: "idle", pid: null, restarts: 0, consecutiveFailures: 0, lastError: null, retryAt: null, tenant }];
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(all.map((s) => s.connection.close()));
  }
}
