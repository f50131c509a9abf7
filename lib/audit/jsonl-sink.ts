import { appendFile, mkdir, rename, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Seed 004's AUDIT_PATH / APPROVALS_PATH: a JSON-lines copy of records, so `tail -f audit.log | jq`
 * works. Postgres stays the source of truth: this is a copy, written after the fact, bounded and
 * fail-safe — a write error is logged and the line dropped, never thrown to the caller or waited for.
 */
export interface JsonlSinkOptions {
  /** Past this size the file is renamed to FILE.1 (replacing the previous one) and a new one begun. */
  maxBytes: number;
  /** Lines waiting to be written; beyond it new lines are dropped (and counted). */
  maxQueued?: number;
  log: { warn(obj: object, msg: string): void };
}

export interface JsonlSink {
  write(line: object): void;
  /** Resolves when every queued line was written (or dropped): tests and shutdown. */
  flush(): Promise<void>;
  readonly dropped: number;
}

export function jsonlSink(file: string, opts: JsonlSinkOptions): JsonlSink {
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue: string[] = [];
  let running: Promise<void> | null = null;
  let dropped = 0;
  let size: number | null = null;
  let warnedAt = 0;

  const warn = (err: unknown, what: string) => {
    // One warning a minute at most: a full disk must not flood the log too.
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    opts.log.warn({ err: String(err), file, dropped }, `JSONL copy ${what} failed (Postgres has the record)`);
  };

  async function drain() {
    while (queue.length > 0) {
      const batch = queue.join("");
      const count = queue.length;
      queue = [];
      try {
        if (size === null) {
          await mkdir(path.dirname(path.resolve(file)), { recursive: true });
          size = await stat(file).then((s) => s.size, () => 0);
        }
        if (size + batch.length > opts.maxBytes && size > 0) {
          await rename(file, `${file}.1`);
          size = 0;
        }
        await appendFile(file, batch, "utf8");
        size += Buffer.byteLength(batch);
      } catch (err) {
        dropped += count;
        size = null;
        warn(err, "write");
      }
    }
  }

  return {
    write(line) {
      if (queue.length >= maxQueued) {
        dropped++;
        warn(new Error("queue full"), "queue");
        return;
      }
      let text: string;
      try {
        text = `${JSON.stringify(line)}\n`;
      } catch (err) {
        dropped++;
        warn(err, "serialization");
        return;
      }
      queue.push(text);
      running ??= drain().finally(() => (running = null));
    },
    async flush() {
      while (running) await running;
    },
    get dropped() {
      return dropped;
    },
  };
}

/** Whether a decision reads as success, for seed 004's `jq 'select(.ok == false)' audit.log`. */
export function decisionOk(decision: string | null): boolean | null {
  if (decision === null) return null;
  return !["deny", "denied", "failed", "refused", "rejected", "expired", "error"].includes(decision);
}
