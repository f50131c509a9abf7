import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { upsertTenant } from "@/lib/db/tenants";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import type { QuotaDenial } from "./admit-plan";
import { QuotaUnavailableError } from "./errors";
import type { QuotaConfigBody } from "./limits";
import { QuotaService } from "./service";

const stores: [string, () => KvStore][] = [["in-process", () => memoryKv()]];
const redisUrl = env().REDIS_URL;
if (redisUrl) stores.push(["redis", () => redisKv(redisUrl, 1000)]);

let db: TestDb;
const opened: KvStore[] = [];
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await Promise.all(opened.map((k) => k.close()));
  await db.drop();
});

const T0 = Date.parse("2026-11-21T10:31:05.000Z");
const body = (b: Partial<QuotaConfigBody>): QuotaConfigBody => ({ tools: {}, ...b }) as QuotaConfigBody;

async function tenantWith(service: QuotaService, config: Partial<QuotaConfigBody>) {
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  await upsertTenant(db.prisma, tenant, tenant);
  await service.setConfig(tenant, body(config), "alice");
  return tenant;
}

describe.each(stores)("quotas on the %s store", (_kind, makeKv) => {
  const kv = makeKv();
  opened.push(kv);
  const service = new QuotaService({ kv, prisma: async () => db.prisma, cacheTtlMs: 60_000 });
  const admitMany = (n: number, input: Parameters<QuotaService["admit"]>[0]) => Promise.all(Array.from({ length: n }, () => service.admit(input)));
  const denials = (rs: Awaited<ReturnType<QuotaService["admit"]>>[]) => rs.filter((r): r is QuotaDenial => !r.ok);

  test.each([
    ["requests per minute", { requests_per_minute: 50 }, 0, 50, "requests_per_minute", 50, "2026-11-21T10:32:00.000Z"],
    ["max concurrent", { max_concurrent: 10 }, 0, 10, "max_concurrent", 10, null],
    ["daily budget", { daily_budget_usd: 25 }, 1, 25, "daily_budget_usd", 25, "2026-11-22T00:00:00.000Z"],
    ["monthly budget", { monthly_budget_usd: 12.5 }, 0.5, 25, "monthly_budget_usd", 12.5, "2026-12-01T00:00:00.000Z"],
  ])("never admits past the tenant's %s under 200 concurrent calls", async (_label, config, costUsd, admitted, limit, value, resets) => {
    const tenant = await tenantWith(service, config);
    const results = await admitMany(200, { tenant, tool: "cloud.ops", costUsd, now: T0 });
    expect(results.filter((r) => r.ok)).toHaveLength(admitted);
    const denied = denials(results);
    expect(denied).toHaveLength(200 - admitted);
    expect(denied[0]).toMatchObject({ ok: false, limit, scope: "tenant", tool: "cloud.ops", limit_value: value, current: limit === "max_concurrent" ? admitted : value });
    if (resets) expect(denied[0].resets_at).toBe(resets);
    else expect(Date.parse(denied[0].resets_at!)).toBe(T0 + 120_000); // the oldest lease's expiry
  });

  test("a per-tool limit applies to that tool only, on top of the tenant's", async () => {
    const tenant = await tenantWith(service, { requests_per_minute: 100, tools: { "cloud.ops": { requests_per_minute: 5 } } });
    const ops = await admitMany(20, { tenant, tool: "cloud.ops", costUsd: 0, now: T0 });
    expect(ops.filter((r) => r.ok)).toHaveLength(5);
    expect(denials(ops)[0]).toMatchObject({
      limit: "requests_per_minute",
      scope: "tool",
      limit_value: 5,
      current: 5,
      message: `rate limit reached: 5 requests per minute for tool cloud.ops in tenant ${tenant}; resets at 2026-11-21T10:32:00.000Z`,
    });
    const fs = await admitMany(50, { tenant, tool: "fs.read", costUsd: 0, now: T0 });
    expect(fs.every((r) => r.ok)).toBe(true);
    // The tenant limit counted every admitted call of both tools: 5 + 50 of 100.
    const rest = await admitMany(60, { tenant, tool: "fs.read", costUsd: 0, now: T0 });
    expect(rest.filter((r) => r.ok)).toHaveLength(45);
    expect(denials(rest)[0]).toMatchObject({ scope: "tenant", limit_value: 100 });
  });

  test("the minute window resets at the minute", async () => {
    const tenant = await tenantWith(service, { requests_per_minute: 2 });
    const call = (now: number) => service.admit({ tenant, tool: "x.y", costUsd: 0, now });
    expect((await call(T0)).ok).toBe(true);
    expect((await call(T0 + 54_999)).ok).toBe(true);
    expect((await call(T0 + 54_999)).ok).toBe(false);
    expect((await call(T0 + 55_000)).ok).toBe(true);
  });

  test("release frees a concurrency slot; an unreleased slot expires with its lease", async () => {
    const tenant = await tenantWith(service, { max_concurrent: 2 });
    const call = (now: number, leaseMs = 1_000) => service.admit({ tenant, tool: "x.y", costUsd: 0, now, leaseMs });
    const a = await call(T0);
    const b = await call(T0);
    expect([a.ok, b.ok]).toEqual([true, true]);
    const c = await call(T0 + 10);
    expect(c).toMatchObject({ ok: false, limit: "max_concurrent", current: 2, resets_at: new Date(T0 + 1_000).toISOString() });
    expect(c.ok ? "" : c.message).toBe(`concurrency limit reached: 2 calls at once for tenant ${tenant}; retry when one finishes`);
    if (a.ok) {
      await a.release();
      await a.release(); // idempotent: must not free a second slot
    }
    expect((await call(T0 + 20)).ok).toBe(true);
    expect((await call(T0 + 20)).ok).toBe(false);
    // b and the third were never released (crashed calls): their leases end at T0 + 1000 / + 1020.
    expect((await call(T0 + 1_020)).ok).toBe(true);
  });

  test("a call estimated above the remaining budget is refused with what was spent", async () => {
    const tenant = await tenantWith(service, { daily_budget_usd: 100, tools: { "cloud.ops": { daily_budget_usd: 80 } } });
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 75, now: T0 })).ok).toBe(true);
    const r = await service.admit({ tenant, tool: "cloud.ops", costUsd: 10, now: T0 });
    expect(r).toMatchObject({ ok: false, limit: "daily_budget_usd", scope: "tool", limit_value: 80, current: 75 });
    expect(r.ok ? "" : r.message).toBe(
      `daily budget of $80.00 for tool cloud.ops in tenant ${tenant} would be exceeded: $75.00 spent, this call is estimated at $10.00; resets at 2026-11-22T00:00:00.000Z`,
    );
    // The refused call consumed nothing: 5 more dollars still fit the tool's budget.
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 5, now: T0 })).ok).toBe(true);
    // Another tool only meets the tenant budget: 80 spent of 100.
    expect((await service.admit({ tenant, tool: "cloud.other", costUsd: 20, now: T0 })).ok).toBe(true);
    expect(await service.admit({ tenant, tool: "cloud.other", costUsd: 0.01, now: T0 })).toMatchObject({ ok: false, scope: "tenant", current: 100 });
    // Next day, the daily budget is fresh.
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 10, now: T0 + 86_400_000 })).ok).toBe(true);
  });

  test("a call of unknown cost is refused where a budget applies, spending nothing; counted toward the rate", async () => {
    const tenant = await tenantWith(service, { requests_per_minute: 3, tools: { "cloud.ops": { monthly_budget_usd: 50 } } });
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 20, now: T0 })).ok).toBe(true);
    const r = await service.admit({ tenant, tool: "cloud.ops", costUsd: 0, costKnown: false, now: T0 });
    expect(r).toMatchObject({ ok: false, limit: "budget_unknown_cost", scope: "tool", tool: "cloud.ops", limit_value: 50, current: 20, resets_at: "2026-12-01T00:00:00.000Z" });
    expect(r.ok ? "" : r.message).toMatch(/^the cost of this call is unknown .* the monthly budget of \$50\.00 for tool cloud\.ops in tenant t-\w+ cannot meter it; the call is refused\. .*`defaults\.unknown_cost: allow`/);
    // The usage the quota API shows: two requests, $20 spent, tenant-wide and for the tool.
    const usage = (await service.describe(tenant, T0)).usage;
    expect(usage.month).toMatchObject({ window: "2026-11", resets_at: "2026-12-01T00:00:00.000Z", requests: 2, spent_usd: 20, tools: { "cloud.ops": { requests: 2, spent_usd: 20 } } });
    expect(usage.day).toMatchObject({ window: "2026-11-21", requests: 2, spent_usd: 20 });
    // Nothing was spent: $30 still fit. The refused call did count toward the rate (3 per minute).
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 30, now: T0 })).ok).toBe(true);
    expect(await service.admit({ tenant, tool: "cloud.ops", costUsd: 0, now: T0 })).toMatchObject({ ok: false, limit: "requests_per_minute" });
  });

  test("an unknown cost passes where no budget applies, and at $0 where the policy allows unknown costs", async () => {
    const tenant = await tenantWith(service, { daily_budget_usd: 10, tools: { "cloud.ops": { max_concurrent: 5 } } });
    // A budget applies to every tool of this tenant: refused, and its concurrency slot given back.
    for (let i = 0; i < 6; i++) expect(await service.admit({ tenant, tool: "cloud.ops", costUsd: 0, costKnown: false, now: T0 })).toMatchObject({ limit: "budget_unknown_cost", scope: "tenant" });
    const allowed = await service.admit({ tenant, tool: "cloud.ops", costUsd: 0, costKnown: false, allowUnknownCost: true, now: T0 });
    expect(allowed.ok).toBe(true);
    // Admitted at $0: the whole $10 is still there.
    expect((await service.admit({ tenant, tool: "cloud.ops", costUsd: 10, now: T0 })).ok).toBe(true);
    const free = await tenantWith(service, { requests_per_minute: 100 });
    expect((await service.admit({ tenant: free, tool: "cloud.ops", costUsd: 0, costKnown: false, now: T0 })).ok).toBe(true);
  });

  test("a tenant without quotas is admitted, and its usage still counted", async () => {
    const tenant = await tenantWith(service, {});
    const results = await admitMany(30, { tenant, tool: "fs.read", costUsd: 0.25, now: T0 });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await service.flushUsage()).toBeGreaterThanOrEqual(2);
    const rows = await db.prisma.usageCounter.findMany({ where: { tenantId: tenant }, orderBy: { window: "asc" } });
    expect(rows.map((r) => ({ tool: r.tool, window: r.window, requests: r.requests, costUsd: r.costUsd }))).toEqual([
      { tool: "*", window: "day:2026-11-21", requests: 30, costUsd: 7.5 },
      { tool: "*", window: "month:2026-11", requests: 30, costUsd: 7.5 },
    ]);
  });
});

describe("usage persistence", () => {
  test("flush writes absolute counters; after losing the counters, budgets continue from Postgres", async () => {
    const first = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    const tenant = await tenantWith(first, { monthly_budget_usd: 10, tools: { "cloud.ops": { requests_per_minute: 100 } } });
    for (let i = 0; i < 4; i++) expect((await first.admit({ tenant, tool: "cloud.ops", costUsd: 2, now: T0 })).ok).toBe(true);
    expect(await first.flushUsage()).toBe(4); // day + month, tenant and tool
    expect(await first.flushUsage()).toBe(0); // nothing new
    expect((await first.admit({ tenant, tool: "cloud.ops", costUsd: 1, now: T0 })).ok).toBe(true);
    expect(await first.flushUsage()).toBe(4);
    const rows = await db.prisma.usageCounter.findMany({ where: { tenantId: tenant }, orderBy: [{ tool: "asc" }, { window: "asc" }] });
    expect(rows.map((r) => [r.tool, r.window, r.requests, r.costUsd])).toEqual([
      ["*", "day:2026-11-21", 5, 9],
      ["*", "month:2026-11", 5, 9],
      ["cloud.ops", "day:2026-11-21", 5, 9],
      ["cloud.ops", "month:2026-11", 5, 9],
    ]);

    // A fresh store (Redis flushed, or a restart without Redis): $9 of $10 already spent.
    const second = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    expect(await second.admit({ tenant, tool: "cloud.ops", costUsd: 2, now: T0 })).toMatchObject({ ok: false, limit: "monthly_budget_usd", current: 9 });
    expect((await second.admit({ tenant, tool: "cloud.ops", costUsd: 1, now: T0 })).ok).toBe(true);
    await second.flushUsage();
    const month = await db.prisma.usageCounter.findUnique({ where: { tenantId_tool_window: { tenantId: tenant, tool: "*", window: "month:2026-11" } } });
    expect(month).toMatchObject({ requests: 6, costUsd: 10 });

    // A replica flushing an older, smaller reading does not roll usage back.
    await first.admit({ tenant, tool: "cloud.ops", costUsd: 0, now: T0 });
    await first.flushUsage();
    expect(await db.prisma.usageCounter.findUnique({ where: { tenantId_tool_window: { tenantId: tenant, tool: "*", window: "month:2026-11" } } })).toMatchObject({ requests: 6, costUsd: 10 });
  });

  test("a failed flush keeps its counters for the next one", async () => {
    let broken = true;
    let flushing = false;
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => (broken && flushing ? Promise.reject(new Error("db down")) : db.prisma) });
    const tenant = await tenantWith(service, {});
    await service.admit({ tenant, tool: "a.b", costUsd: 1, now: T0 });
    flushing = true;
    await expect(service.flushUsage()).rejects.toThrow("db down");
    broken = false;
    expect(await service.flushUsage()).toBe(2);
  });

  test("the flusher flushes on its interval and once more on stop", async () => {
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    const tenant = await tenantWith(service, {});
    const stop = service.startFlusher(50);
    await service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 });
    await expect.poll(() => db.prisma.usageCounter.count({ where: { tenantId: tenant } }), { timeout: 2_000 }).toBe(2);
    await service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 });
    await stop();
    expect((await db.prisma.usageCounter.findFirst({ where: { tenantId: tenant, window: "day:2026-11-21" } }))?.requests).toBe(2);
  });
});

describe("configuration", () => {
  test("stored and returned in the PUT shape; PUT replaces the whole configuration", async () => {
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    const tenant = await tenantWith(service, { requests_per_minute: 60, max_concurrent: 10, daily_budget_usd: 100, monthly_budget_usd: 2000, tools: { "cloud.ops": { requests_per_minute: 5 } } });
    expect(await service.getConfig(tenant)).toMatchObject({
      tenant,
      requests_per_minute: 60,
      max_concurrent: 10,
      daily_budget_usd: 100,
      monthly_budget_usd: 2000,
      tools: { "cloud.ops": { requests_per_minute: 5, max_concurrent: null, daily_budget_usd: null, monthly_budget_usd: null } },
      updated_by: "alice",
    });
    const replaced = await service.setConfig(tenant, body({ daily_budget_usd: 5 }), "bob");
    expect(replaced).toMatchObject({ requests_per_minute: null, daily_budget_usd: 5, tools: {}, updated_by: "bob" });
    expect(await service.getConfig(tenant)).toEqual(replaced);
  });

  test("an unknown tenant is 404", async () => {
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    await expect(service.setConfig("no-such-tenant", body({}), "alice")).rejects.toMatchObject({ status: 404, message: "tenant no-such-tenant does not exist" });
  });

  test("settings are cached briefly: a change on another replica applies after the cache TTL", async () => {
    let clock = 0;
    const kv = memoryKv();
    const replicaA = new QuotaService({ kv, prisma: async () => db.prisma, cacheTtlMs: 5_000, clock: () => clock });
    const replicaB = new QuotaService({ kv, prisma: async () => db.prisma });
    const tenant = await tenantWith(replicaB, { requests_per_minute: 1 });
    expect((await replicaA.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(true);
    expect((await replicaA.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(false);
    await replicaB.setConfig(tenant, body({ requests_per_minute: 3 }), "alice");
    expect((await replicaA.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(false);
    clock += 5_000;
    expect((await replicaA.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(true);
  });
});

describe("fail closed", () => {
  test("Redis unreachable: denied within a bounded time, never admitted", async () => {
    const kv = redisKv("redis://127.0.0.1:1", 200);
    opened.push(kv);
    const service = new QuotaService({ kv, prisma: async () => db.prisma, timeoutMs: 1_000 });
    const tenant = await tenantWith(service, { requests_per_minute: 10 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })));
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof QuotaUnavailableError)).toBe(true);
    const reason = (results[0] as PromiseRejectedResult).reason as QuotaUnavailableError;
    expect(reason).toMatchObject({ status: 503, code: "quota_unavailable" });
    expect(reason.message).toMatch(/^quota check unavailable, call denied: quota store \(redis\) (failed|did not answer)/);
  });

  test("a store that hangs is cut off at the timeout", async () => {
    const hanging: KvStore = { ...memoryKv(), meter: () => new Promise(() => {}) };
    const service = new QuotaService({ kv: hanging, prisma: async () => db.prisma, timeoutMs: 300 });
    const tenant = await tenantWith(service, {});
    // The store never answers: only the timeout can end this (its message says so); no wall-clock bound.
    await expect(service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).rejects.toThrow("quota check unavailable, call denied: quota store (memory) did not answer within 300 ms");
  });

  test("quota settings unreadable and none cached: denied; cached settings ride out a database hiccup", async () => {
    let dbUp = true;
    let clock = 0;
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => (dbUp ? db.prisma : Promise.reject(new Error("connection refused"))), cacheTtlMs: 1_000, clock: () => clock });
    const tenant = await tenantWith(service, { requests_per_minute: 5 });
    const other = await tenantWith(service, {});
    expect((await service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(true);
    dbUp = false;
    clock += 2_000;
    expect((await service.admit({ tenant, tool: "a.b", costUsd: 0, now: T0 })).ok).toBe(true);
    await expect(service.admit({ tenant: other, tool: "a.b", costUsd: 0, now: T0 })).rejects.toThrow(
      "quota check unavailable, call denied: quota settings (database) failed: connection refused",
    );
  });

  test.each([
    ["negative", -1],
    ["not finite", Number.NaN],
  ])("a %s cost is refused outright (it would refund budget)", async (_label, costUsd) => {
    const service = new QuotaService({ kv: memoryKv(), prisma: async () => db.prisma });
    await expect(service.admit({ tenant: "t", tool: "a.b", costUsd, now: T0 })).rejects.toBeInstanceOf(RangeError);
  });
});
