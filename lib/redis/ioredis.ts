import { Redis } from "ioredis";
import { METER_LUA, meterArgs, parseMeterReply } from "./meter";
import type { KvStore } from "./types";

const INCR_WITH_TTL = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

// Redis spells infinite score bounds "-inf" / "+inf".
const bound = (n: number) => (n === Infinity ? "+inf" : n === -Infinity ? "-inf" : String(n));

/**
 * KvStore on Redis. No offline queue and a command timeout: when Redis is away, callers get an
 * error within the timeout instead of hanging, and decide (fail closed) themselves.
 */
export function redisKv(url: string, commandTimeoutMs: number): KvStore {
  const options = {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(commandTimeoutMs, 2_000),
    lazyConnect: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2_000),
  };
  // Commands issued in the same turn of the event loop leave in one write (ioredis defers them to
  // setImmediate): under load the data plane meters many calls per turn, and a socket write per
  // command showed as ~10% of the gateway's CPU in profiles. The subscriber below does not need it.
  const client = new Redis(url, { ...options, enableAutoPipelining: true });
  client.on("error", () => {}); // reported through failing commands and health, not as crashes
  // EVALSHA with a fallback to EVAL: the hot path does not resend the script each call.
  client.defineCommand("canopyMeter", { lua: METER_LUA });
  const meter = client as unknown as { canopyMeter(numKeys: number, ...args: string[]): Promise<unknown> };
  let subscriber: Redis | undefined;
  const handlers = new Map<string, Set<(m: string) => void>>();
  let connecting: Promise<void> | undefined;

  const ready = () => {
    if (client.status === "ready") return Promise.resolve();
    if (client.status === "wait") connecting ??= client.connect().finally(() => (connecting = undefined));
    return connecting ?? Promise.resolve();
  };
  const run = async <T>(fn: () => Promise<T>) => {
    await ready();
    return fn();
  };

  const sub = async () => {
    if (!subscriber) {
      subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
      subscriber.on("error", () => {});
      subscriber.on("message", (channel: string, message: string) => {
        for (const h of handlers.get(channel) ?? []) h(message);
      });
      await subscriber.connect();
    }
    return subscriber;
  };

  return {
    kind: "redis",
    ping: () => run(async () => void (await client.ping())),
    get: (key) => run(() => client.get(key)),
    set: (key, value, opts = {}) =>
      run(async () => {
        const args: (string | number)[] = [];
        if (opts.ttlMs) args.push("PX", opts.ttlMs);
        if (opts.nx) args.push("NX");
        const r = await (client.set as (...a: unknown[]) => Promise<string | null>)(key, value, ...args);
        return r === "OK";
      }),
    del: (key) => run(() => client.del(key)),
    incrBy: (key, by, ttlMs) => run(async () => Number(await client.eval(INCR_WITH_TTL, 1, key, by, ttlMs ?? 0))),
    pttl: (key) => run(() => client.pttl(key)),
    zadd: (key, score, member) => run(async () => void (await client.zadd(key, score, member))),
    zrem: (key, member) => run(() => client.zrem(key, member)),
    zrangeByScore: (key, min, max, limit) =>
      run(() => {
        const lo = bound(min);
        const hi = bound(max);
        return limit === undefined ? client.zrangebyscore(key, lo, hi) : client.zrangebyscore(key, lo, hi, "LIMIT", 0, limit);
      }),
    meter: (ops) =>
      run(async () => {
        const { keys, argv } = meterArgs(ops);
        return parseMeterReply(await meter.canopyMeter(keys.length, ...keys, ...argv));
      }),
    publish: (channel, message) => run(async () => void (await client.publish(channel, message))),
    async subscribe(channel, handler) {
      const s = await sub();
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await s.subscribe(channel);
      }
      set.add(handler);
      return async () => {
        const current = handlers.get(channel);
        current?.delete(handler);
        if (current && current.size === 0) {
          handlers.delete(channel);
          await s.unsubscribe(channel).catch(() => {});
        }
      };
    },
    async close() {
      client.disconnect();
      subscriber?.disconnect();
    },
  };
}
