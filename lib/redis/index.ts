import { env } from "@/lib/env";
import { redisKv } from "./ioredis";
import { memoryKv } from "./memory";
import type { KvStore } from "./types";

export type { KvStore };
export type { MeterOp, MeterResult } from "./meter";
export { memoryKv, redisKv };

const g = globalThis as { __canopyKv?: KvStore };

/** The process's KvStore: Redis when REDIS_URL is set, else in-process. */
export function getKv(): KvStore {
  if (!g.__canopyKv) {
    const e = env();
    g.__canopyKv = e.REDIS_URL ? redisKv(e.REDIS_URL, e.REDIS_COMMAND_TIMEOUT_MS) : memoryKv();
  }
  return g.__canopyKv;
}
