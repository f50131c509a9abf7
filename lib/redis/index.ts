import { redisKv } from "./ioredis";
import { memoryKv } from "./memory";
import type { KvStore } from "./types";

export type { KvStore };
export type { MeterOp, MeterResult } from "./meter";
export { memoryKv, redisKv };

/** A KvStore: Redis when a URL is given, else in-process (single process only). */
export function openKv(url: string | undefined, commandTimeoutMs: number): KvStore {
  return url ? redisKv(url, commandTimeoutMs) : memoryKv();
}
