import pino from "pino";

export type { Logger } from "pino";

/** A process logger (JSON lines; pretty printing is left to the reader's tools). The composition root builds one. */
export function createLogger(level: string): pino.Logger {
  return pino({
    level,
    base: { service: "canopyiq" },
    redact: { paths: ["*.authorization", "*.password", "*.token", "*.secret"], censor: "[redacted]" },
  });
}
