import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, test } from "vitest";
import { env } from "@/lib/env";
import { memoryKv } from "./memory";
import { redisKv } from "./ioredis";
import type { KvStore } from "./types";

const stores: [string, () => KvStore][] = [["memory", () => memoryKv()]];
const redisUrl = env().REDIS_URL;
if (redisUrl) stores.push(["redis", () => redisKv(redisUrl, 1000)]);

const opened: KvStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe.each(stores)("KvStore contract (%s)", (_kind, make) => {
  const kv = make();
  opened.push(kv);
  const k = () => `test:${randomUUID()}`;

  test("set/get/del", async () => {
    const key = k();
    expect(await kv.get(key)).toBeNull();
    expect(await kv.set(key, "v")).toBe(true);
    expect(await kv.get(key)).toBe("v");
    expect(await kv.del(key)).toBe(1);
    expect(await kv.get(key)).toBeNull();
  });

  test("set NX refuses an existing key", async () => {
    const key = k();
    expect(await kv.set(key, "a", { nx: true })).toBe(true);
    expect(await kv.set(key, "b", { nx: true })).toBe(false);
    expect(await kv.get(key)).toBe("a");
  });

  test("TTL expires keys", async () => {
    const key = k();
    await kv.set(key, "v", { ttlMs: 60 });
    const ttl = await kv.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    await new Promise((r) => setTimeout(r, 120));
    expect(await kv.get(key)).toBeNull();
    expect(await kv.pttl(key)).toBe(-2);
  });

  test("incrBy is atomic under concurrency and sets the TTL only on creation", async () => {
    const key = k();
    const results = await Promise.all(Array.from({ length: 200 }, () => kv.incrBy(key, 1, 10_000)));
    expect(new Set(results).size).toBe(200);
    expect(Math.max(...results)).toBe(200);
    expect(await kv.pttl(key)).toBeGreaterThan(0);
  });

  test("sorted sets: zadd re-scores, zrangeByScore orders by score within bounds and limit, zrem removes", async () => {
    const key = k();
    await kv.zadd(key, 30, "c");
    await kv.zadd(key, 10, "a");
    await kv.zadd(key, 20, "b");
    await kv.zadd(key, 5, "c");
    expect(await kv.zrangeByScore(key, 0, 20)).toEqual(["c", "a", "b"]);
    expect(await kv.zrangeByScore(key, 6, 100)).toEqual(["a", "b"]);
    expect(await kv.zrangeByScore(key, 0, 100, 2)).toEqual(["c", "a"]);
    expect(await kv.zrem(key, "a")).toBe(1);
    expect(await kv.zrem(key, "a")).toBe(0);
    expect(await kv.zrangeByScore(key, -Infinity, Infinity)).toEqual(["c", "b"]);
    await kv.del(key);
  });

  test.each([
    ["under the limit: applied", 3, { ok: true, values: [5, 1] }, "5"],
    ["exactly reaching the limit: applied", 8, { ok: true, values: [10, 1] }, "10"],
    ["past the limit: nothing written", 9, { ok: false, index: 0, current: 2 }, null],
  ])("meter add with limit 10 from 2 (%s)", async (_label, amount, expected, stored) => {
    const [a, b] = [k(), k()];
    // `init` stands in for usage restored from Postgres after the Redis counter was lost.
    const r = await kv.meter([
      { type: "add", key: a, amount, limit: 10, ttlMs: 60_000, init: 2 },
      { type: "add", key: b, amount: 1, ttlMs: 60_000 },
    ]);
    expect(r).toEqual(expected);
    expect(await kv.get(a)).toBe(stored);
    expect(await kv.get(b)).toBe(r.ok ? "1" : null);
    if (r.ok) expect(await kv.pttl(a)).toBeGreaterThan(59_000);
  });

  test("meter is all-or-nothing: a failing later check leaves earlier counters untouched", async () => {
    const [a, b] = [k(), k()];
    await kv.meter([{ type: "add", key: b, amount: 9, ttlMs: 60_000 }]);
    const r = await kv.meter([
      { type: "add", key: a, amount: 1, limit: 100, ttlMs: 60_000 },
      { type: "add", key: b, amount: 2, limit: 10, ttlMs: 60_000 },
    ]);
    expect(r).toEqual({ ok: false, index: 1, current: 9 });
    expect(await kv.get(a)).toBeNull();
    expect(await kv.get(b)).toBe("9");
  });

  test("meter never admits past a limit under 200 concurrent callers", async () => {
    const key = k();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => kv.meter([{ type: "add", key, amount: 1, limit: 37, ttlMs: 60_000 }])),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(37);
    expect(await kv.get(key)).toBe("37");
  });

  test("meter leases: a limit of live leases, expiry frees a slot, unlease frees a slot", async () => {
    const key = k();
    const lease = (member: string, now: number) => kv.meter([{ type: "lease", key, member, limit: 2, ttlMs: 1_000, now }]);
    expect(await lease("a", 10_000)).toEqual({ ok: true, values: [1] });
    expect(await lease("b", 10_500)).toEqual({ ok: true, values: [2] });
    expect(await lease("c", 10_600)).toEqual({ ok: false, index: 0, current: 2, earliestExpiry: 11_000 });
    // "a" expired at 11_000: a crashed call does not hold its slot past the lease.
    expect(await lease("c", 11_000)).toEqual({ ok: true, values: [2] });
    expect(await kv.meter([{ type: "unlease", key, member: "b" }])).toEqual({ ok: true, values: [1] });
    expect(await lease("d", 11_100)).toEqual({ ok: true, values: [2] });
  });

  test("publish reaches subscribers until they unsubscribe", async () => {
    const channel = k();
    const got: string[] = [];
    const unsubscribe = await kv.subscribe(channel, (m) => got.push(m));
    await kv.publish(channel, "one");
    await expect.poll(() => got).toEqual(["one"]);
    await unsubscribe();
    await kv.publish(channel, "two");
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(["one"]);
  });
});

describe("redis unavailable", () => {
  test("commands fail within the timeout instead of hanging", async () => {
    const kv = redisKv("redis://127.0.0.1:1", 200);
    opened.push(kv);
    const started = Date.now();
    await expect(kv.get("x")).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
