import { EventEmitter } from "node:events";
import { meterSync } from "./meter";
import type { KvStore } from "./types";

/** In-process KvStore for a single process without REDIS_URL. `now` is injectable for tests. */
export function memoryKv(now: () => number = Date.now): KvStore {
  const data = new Map<string, { value: string; expiresAt?: number }>();
  const zsets = new Map<string, Map<string, number>>();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  const live = (key: string) => {
    const entry = data.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      data.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    kind: "memory",
    async ping() {},
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, opts = {}) {
      if (opts.nx && live(key)) return false;
      data.set(key, { value, expiresAt: opts.ttlMs ? now() + opts.ttlMs : undefined });
      return true;
    },
    async del(key) {
      const existed = live(key) !== undefined;
      data.delete(key);
      return existed ? 1 : 0;
    },
    async incrBy(key, by, ttlMs) {
      const entry = live(key);
      const current = entry ? Number(entry.value) : 0;
      if (!Number.isInteger(current)) throw new Error(`value at ${key} is not an integer`);
      const next = current + by;
      data.set(key, { value: String(next), expiresAt: entry ? entry.expiresAt : ttlMs ? now() + ttlMs : undefined });
      return next;
    },
    async pttl(key) {
      const entry = live(key);
      if (!entry) return -2;
      return entry.expiresAt === undefined ? -1 : entry.expiresAt - now();
    },
    async zadd(key, score, member) {
      let z = zsets.get(key);
      if (!z) zsets.set(key, (z = new Map()));
      z.set(member, score);
    },
    async zrem(key, member) {
      const z = zsets.get(key);
      const existed = z?.delete(member) ?? false;
      if (z && z.size === 0) zsets.delete(key);
      return existed ? 1 : 0;
    },
    async zrangeByScore(key, min, max, limit) {
      const z = zsets.get(key);
      if (!z) return [];
      // Redis orders equal scores by member, lexicographically.
      const hits = [...z].filter(([, s]) => s >= min && s <= max).sort(([am, as], [bm, bs]) => as - bs || (am < bm ? -1 : am > bm ? 1 : 0));
      return hits.slice(0, limit ?? hits.length).map(([m]) => m);
    },
    async meter(ops) {
      return meterSync(ops, {
        getNumber: (key) => (live(key) ? Number(live(key)!.value) : undefined),
        setNumber: (key, value, ttlMs) => {
          const expiresAt = live(key)?.expiresAt ?? now() + ttlMs;
          data.set(key, { value: String(value), expiresAt });
        },
        zset: (key, create) => {
          let z = zsets.get(key);
          if (!z && create) zsets.set(key, (z = new Map()));
          return z;
        },
        dropZset: (key) => zsets.delete(key),
      });
    },
    async publish(channel, message) {
      // Delivered asynchronously, as Redis does.
      queueMicrotask(() => bus.emit(channel, message));
    },
    async subscribe(channel, handler) {
      bus.on(channel, handler);
      return async () => {
        bus.off(channel, handler);
      };
    },
    async close() {
      bus.removeAllListeners();
      data.clear();
      zsets.clear();
    },
  };
}
