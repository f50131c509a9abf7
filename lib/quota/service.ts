import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@/lib/db";
import { getUsage, listQuotas, replaceQuotas, upsertUsage, type UsageRow } from "@/lib/db/quotas";
import { tenantExists } from "@/lib/db/tenants";
import { notFound } from "@/lib/errors";
import type { KvStore } from "@/lib/redis";
import { type AdmitInput, denialOf, type PersistedUsage, planAdmission, type QuotaDenial, unknownCostDenial, type UsageMark, usageKey } from "./admit-plan";
import { bounded, QuotaUnavailableError } from "./errors";
import { fromMicros, quotaKeys, type Scope } from "./keys";
import { configFromRows, type QuotaConfig, type QuotaConfigBody, rowsFromBody } from "./limits";
import { dayWindow, monthWindow, usageWindow, type Window } from "./windows";

export interface Admitted {
  ok: true;
  /** Frees the concurrency slot; idempotent, never throws (an unreleased slot expires with its lease). */
  release(): Promise<void>;
}

export type AdmitResult = Admitted | QuotaDenial;

export interface ScopeUsage {
  requests: number;
  spent_usd: number;
}

/** One budget period: the tenant's totals and each tool with its own limits. */
export interface PeriodUsage extends ScopeUsage {
  window: string;
  resets_at: string;
  tools: Record<string, ScopeUsage>;
}

export interface QuotaUsage {
  day: PeriodUsage;
  month: PeriodUsage;
}

export interface QuotaServiceOptions {
  kv: KvStore;
  prisma: () => Promise<PrismaClient>;
  /** How long quota settings are cached in-process (other replicas see a change within this). */
  cacheTtlMs?: number;
  /** Bound on each quota-store round trip; past it the call is denied. */
  timeoutMs?: number;
  /** Default lease of a concurrency slot. */
  leaseMs?: number;
  /** Clock of the cache (admissions take their time as an argument). */
  clock?: () => number;
}

interface CacheEntry {
  config: QuotaConfig;
  usage: PersistedUsage;
  /** The day and month the persisted usage belongs to. */
  windows: string;
  loadedAt: number;
}

/** Serving slightly old settings beats denying everything while the database hiccups, within reason. */
const STALE_IF_ERROR_MS = 300_000;

/** Rate limits, concurrency and budgets per tenant and per tool, metered atomically in the KvStore. */
export class QuotaService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<CacheEntry>>();
  private readonly dirty = new Map<string, UsageMark>();
  private readonly cacheTtlMs: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;

  constructor(private readonly opts: QuotaServiceOptions) {
    this.cacheTtlMs = opts.cacheTtlMs ?? 5_000;
    this.timeoutMs = opts.timeoutMs ?? 1_500;
    this.leaseMs = opts.leaseMs ?? 120_000;
    this.clock = opts.clock ?? Date.now;
  }

  /**
   * Admits one call or says which limit stops it. Throws QuotaUnavailableError (deny the call)
   * when the store does not answer within the timeout.
   */
  async admit(input: AdmitInput): Promise<AdmitResult> {
    if (!Number.isFinite(input.costUsd) || input.costUsd < 0) throw new RangeError(`costUsd must be a finite number >= 0 (got ${input.costUsd})`);
    const now = typeof input.now === "number" ? input.now : input.now.getTime();
    const entry = await this.settings(input.tenant, now);
    const leaseId = randomUUID();
    // A call of unknown cost is metered like a refused call (it counts toward the rate, spends
    // nothing); a budget that applies to it then refuses it, since it cannot say what it spends.
    const unknownCost = input.costKnown === false && !input.allowUnknownCost;
    const metered = unknownCost ? { ...input, costUsd: 0 } : input;
    const plan = planAdmission(metered, entry.config, entry.usage, leaseId, input.leaseMs ?? this.leaseMs);
    const result = await bounded(this.opts.kv.meter(plan.ops), this.timeoutMs, `quota store (${this.opts.kv.kind})`);
    if (!result.ok) return denialOf(result, plan, metered);
    for (const m of plan.marks) this.dirty.set(`${m.tenant}|${m.scope}|${usageWindow(m.window)}`, m);
    const refused = unknownCost ? unknownCostDenial(plan, result.values, input) : null;
    if (refused) {
      if (plan.release.length > 0) await bounded(this.opts.kv.meter(plan.release), this.timeoutMs, "quota release").catch(() => {});
      return refused;
    }
    let released = plan.release.length === 0;
    return {
      ok: true,
      release: async () => {
        if (released) return;
        released = true;
        await bounded(this.opts.kv.meter(plan.release), this.timeoutMs, "quota release").catch(() => {});
      },
    };
  }

  /** The tenant's quota configuration, fresh from the database. */
  async getConfig(tenant: string): Promise<QuotaConfig> {
    const prisma = await this.opts.prisma();
    return configFromRows(tenant, await listQuotas(prisma, tenant));
  }

  /** The configuration with the usage of the current day and month: what GET /admin/tenants/{t}/quotas shows. */
  async describe(tenant: string, now: Date | number): Promise<QuotaConfig & { usage: QuotaUsage }> {
    const config = await this.getConfig(tenant);
    return { ...config, usage: await this.getUsage(tenant, Object.keys(config.tools), typeof now === "number" ? now : now.getTime()) };
  }

  /**
   * Requests and spend of the tenant (and of each tool with its own limits) in the current UTC day
   * and month, from the live counters; a counter the store lost reads as what Postgres persisted.
   */
  async getUsage(tenant: string, tools: string[], now: number): Promise<QuotaUsage> {
    const prisma = await this.opts.prisma();
    const kv = this.opts.kv;
    const windows = [dayWindow(now), monthWindow(now)];
    const persisted = new Map((await getUsage(prisma, tenant, windows.map(usageWindow))).map((u) => [usageKey(u.tool, u.window), u]));
    const scopes: Scope[] = ["*", ...tools];
    const read = async (scope: Scope, w: Window): Promise<ScopeUsage> => {
      const [req, usd] = await bounded(Promise.all([kv.get(quotaKeys.requests(tenant, scope, w)), kv.get(quotaKeys.spend(tenant, scope, w))]), this.timeoutMs, `quota store (${kv.kind})`);
      const p = persisted.get(usageKey(scope, usageWindow(w)));
      return { requests: req === null ? (p?.requests ?? 0) : Number(req), spent_usd: usd === null ? (p?.costUsd ?? 0) : fromMicros(Number(usd)) };
    };
    const period = async (w: Window): Promise<PeriodUsage> => {
      const [all, ...own] = await Promise.all(scopes.map((scope) => read(scope, w)));
      return { window: w.id, resets_at: new Date(w.endsAt).toISOString(), ...all, tools: Object.fromEntries(tools.map((t, i) => [t, own[i]])) };
    };
    const [day, month] = await Promise.all(windows.map(period));
    return { day, month };
  }

  /** Replaces the tenant's configuration (PUT semantics) and returns what was stored. */
  async setConfig(tenant: string, body: QuotaConfigBody, actor: string): Promise<QuotaConfig> {
    const prisma = await this.opts.prisma();
    if (!(await tenantExists(prisma, tenant))) throw notFound(`tenant ${tenant} does not exist`);
    const rows = await replaceQuotas(prisma, tenant, rowsFromBody(body), actor);
    this.invalidate(tenant);
    return configFromRows(tenant, rows);
  }

  invalidate(tenant: string) {
    this.cache.delete(tenant);
  }

  private async settings(tenant: string, now: number): Promise<CacheEntry> {
    const windows = `${dayWindow(now).id}|${monthWindow(now).id}`;
    const hit = this.cache.get(tenant);
    const t = this.clock();
    if (hit && hit.windows === windows && t - hit.loadedAt < this.cacheTtlMs) return hit;
    let pending = this.loading.get(tenant);
    if (!pending) {
      pending = this.load(tenant, now, windows).finally(() => this.loading.delete(tenant));
      this.loading.set(tenant, pending);
    }
    try {
      return await pending;
    } catch (e) {
      if (hit && hit.windows === windows && t - hit.loadedAt < STALE_IF_ERROR_MS) return hit;
      throw e;
    }
  }

  private async load(tenant: string, now: number, windows: string): Promise<CacheEntry> {
    const day = usageWindow(dayWindow(now));
    const month = usageWindow(monthWindow(now));
    const [rows, usageRows] = await bounded(
      this.opts.prisma().then((p) => Promise.all([listQuotas(p, tenant), getUsage(p, tenant, [day, month])])),
      Math.max(this.timeoutMs, 5_000),
      "quota settings (database)",
    );
    const usage: PersistedUsage = new Map(usageRows.map((u) => [usageKey(u.tool, u.window), { requests: u.requests, costUsd: u.costUsd }]));
    const entry = { config: configFromRows(tenant, rows), usage, windows, loadedAt: this.clock() };
    this.cache.set(tenant, entry);
    return entry;
  }

  /**
   * Copies the counters touched since the last flush from the KvStore to usage_counters
   * (absolute values: replicas flushing the same counter agree). Returns the rows written.
   */
  async flushUsage(): Promise<number> {
    const marks = [...this.dirty.entries()];
    if (marks.length === 0) return 0;
    this.dirty.clear();
    try {
      const kv = this.opts.kv;
      const rows = await Promise.all(
        marks.map(async ([, m]): Promise<UsageRow | null> => {
          const [requests, spend] = await Promise.all([kv.get(quotaKeys.requests(m.tenant, m.scope, m.window)), kv.get(quotaKeys.spend(m.tenant, m.scope, m.window))]);
          if (requests === null && spend === null) return null;
          return { tenantId: m.tenant, tool: m.scope, window: usageWindow(m.window), requests: Number(requests ?? 0), costUsd: fromMicros(Number(spend ?? 0)) };
        }),
      );
      const present = rows.filter((r): r is UsageRow => r !== null);
      await upsertUsage(await this.opts.prisma(), present);
      return present.length;
    } catch (e) {
      // Keep them for the next flush; newer marks for the same counters are the same entries.
      for (const [k, m] of marks) this.dirty.set(k, m);
      throw e;
    }
  }

  /** Flushes every `intervalMs`; the returned stop() flushes once more. */
  startFlusher(intervalMs: number, onError: (e: unknown) => void = () => {}): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() => this.flushUsage().catch(onError));
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
      await this.flushUsage().catch(onError);
    };
  }
}

export { QuotaUnavailableError };
