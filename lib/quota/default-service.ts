import { getDb } from "@/lib/db";
import { env } from "@/lib/env";
import { log } from "@/lib/log";
import { getKv } from "@/lib/redis";
import { QuotaService } from "./service";

const g = globalThis as { __canopyQuotas?: QuotaService; __canopyQuotaFlusher?: () => Promise<void> };

/** The process's quota service on getKv() and getDb(). */
export function getQuotas(): QuotaService {
  g.__canopyQuotas ??= new QuotaService({
    kv: getKv(),
    prisma: async () => (await getDb()).prisma,
    // A little over one Redis command timeout: the store's own timeout answers first when it can.
    timeoutMs: env().REDIS_COMMAND_TIMEOUT_MS + 500,
  });
  return g.__canopyQuotas;
}

/** Starts the periodic usage flush (QUOTA_FLUSH_INTERVAL_MS) once per process; returns stop(). */
export function startUsageFlusher(): () => Promise<void> {
  g.__canopyQuotaFlusher ??= getQuotas().startFlusher(env().QUOTA_FLUSH_INTERVAL_MS, (err) => log().warn({ err }, "usage flush failed; retrying at the next interval"));
  return g.__canopyQuotaFlusher;
}
