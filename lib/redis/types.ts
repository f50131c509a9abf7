import type { MeterOp, MeterResult } from "./meter";

/** What CanopyIQ needs from Redis; an in-process implementation serves a single process. */
export interface KvStore {
  kind: "redis" | "memory";
  ping(): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Returns false when `nx` is set and the key already existed. */
  set(key: string, value: string, opts?: { ttlMs?: number; nx?: boolean }): Promise<boolean>;
  del(key: string): Promise<number>;
  /** Atomic increment; a TTL, when given, is set when the increment creates the key. */
  incrBy(key: string, by: number, ttlMs?: number): Promise<number>;
  /** Remaining time to live in ms; -1 without expiry, -2 when absent. */
  pttl(key: string): Promise<number>;
  /** Sorted set: adds or re-scores a member (the approval TTL index: score = expiry in ms). */
  zadd(key: string, score: number, member: string): Promise<void>;
  zrem(key: string, member: string): Promise<number>;
  /** Members with min <= score <= max, lowest score first, at most `limit` of them. */
  zrangeByScore(key: string, min: number, max: number, limit?: number): Promise<string[]>;
  /** Atomic multi-key check-and-apply for limits (see meter.ts): all checks pass and all ops apply, or nothing changes. */
  meter(ops: MeterOp[]): Promise<MeterResult>;
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
