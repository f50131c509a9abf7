/**
 * What the policy engine needs to know about a call's target, computed here so the engine stays
 * pure: the target's role (from the inventory, never from the caller), its maintenance-window
 * state, and the allowlists of its parameters — static ones from the target's options
 * (allowed_services) and dynamic ones from its live inventory (seed 002 `allowlist_source:
 * "list_containers"`), fetched through the backend and cached briefly in a bounded cache.
 */
import type { OperationSpec } from "./catalog";
import { maintenanceState, type MaintenanceState } from "./targets";
import type { AllowlistSource, BackendName, Target, TargetRole } from "./types";

export interface TargetFacts {
  id: string;
  name: string;
  backend: BackendName;
  role: TargetRole;
  tags: string[];
  /** "inside" / "outside" one of the target's maintenance windows, "none" when it declares none. */
  maintenance_window: MaintenanceState;
}

export interface OpsFacts {
  target_role: TargetRole;
  target: TargetFacts;
  /** Parameter → the values it may take on this target (only parameters the operation has). */
  allowlists: Record<string, string[]>;
  /** Parameter → where its allowlist came from (`allowed_services`, `list_containers`). */
  allowlist_sources: Record<string, string>;
}

export function targetFacts(t: Target, now: Date): TargetFacts {
  return { id: t.id, name: t.name, backend: t.backend, role: t.role, tags: t.tags, maintenance_window: maintenanceState(t, now) };
}

/**
 * A small TTL cache of inventory lists with in-flight sharing (one backend query for concurrent
 * callers). Bounded: at most `maxEntries` lists (oldest evicted first), each at most `maxItems` names.
 */
export class InventoryCache {
  private readonly entries = new Map<string, { at: number; items: string[] }>();
  private readonly inflight = new Map<string, Promise<string[]>>();

  constructor(
    private readonly opts: { ttlMs: number; maxEntries: number; maxItems: number },
    private readonly now: () => number,
  ) {}

  /** Key of a target's list: a changed target (new updatedAt) never reuses its old list. */
  static key(t: Target, source: AllowlistSource): string {
    return `${t.tenantId}\u0000${t.id}\u0000${t.updatedAt.getTime()}\u0000${source}`;
  }

  async get(key: string, load: () => Promise<string[]>): Promise<string[]> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.opts.ttlMs) return hit.items;
    if (hit) this.entries.delete(key);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = load()
      .then((items) => {
        const kept = [...new Set(items)].slice(0, this.opts.maxItems);
        if (this.opts.ttlMs > 0) {
          while (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, { at: this.now(), items: kept });
        }
        return kept;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Facts of one call; `inventory` is asked only for the operation's dynamic allowlists. */
export async function computeFacts(
  t: Target,
  op: OperationSpec,
  now: Date,
  inventory: (source: AllowlistSource) => Promise<string[]>,
): Promise<OpsFacts> {
  const allowlists: Record<string, string[]> = {};
  const sources: Record<string, string> = {};
  const allowed = t.options.allowed_services as string[] | undefined;
  if (op.category === "service" && allowed) {
    allowlists.service_name = allowed;
    sources.service_name = "allowed_services";
  }
  for (const [param, source] of Object.entries(op.allowlists ?? {})) {
    allowlists[param] = await inventory(source);
    sources[param] = source;
  }
  return { target_role: t.role, target: targetFacts(t, now), allowlists, allowlist_sources: sources };
}

/** Parameters whose value is not in its allowlist (seed 002 "Allowlist Validation"). */
export function allowlistViolations(params: Record<string, unknown>, facts: OpsFacts): { param: string; value: unknown; source: string }[] {
  const out: { param: string; value: unknown; source: string }[] = [];
  for (const [param, list] of Object.entries(facts.allowlists)) {
    const v = params[param];
    if (v !== undefined && !list.includes(v as string)) out.push({ param, value: v, source: facts.allowlist_sources[param] });
  }
  return out;
}
