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
