import pino from "pino";
import { env } from "@/lib/env";

const g = globalThis as { __canopyLog?: pino.Logger };

/** The process logger (JSON lines; pretty printing is left to the reader's tools). */
export function log(): pino.Logger {
  g.__canopyLog ??= pino({
    level: env().LOG_LEVEL,
    base: { service: "canopyiq" },
    redact: { paths: ["*.authorization", "*.password", "*.token", "*.secret"], censor: "[redacted]" },
  });
  return g.__canopyLog;
}
