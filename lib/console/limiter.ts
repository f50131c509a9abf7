/**
 * Bounded request fan-out for the studio: at most `limit` requests in flight across everyone who
 * shares the limiter (the live simulation of the draft, of the active policy, a trace on expand),
 * and nothing started once the caller's signal is aborted. A browser holds six connections per
 * host; the studio keeps some free for validation and the page's own requests.
 */

export interface Limiter {
  /** Runs `task` when a slot is free; rejects with an AbortError when `signal` aborts first. */
  run<R>(task: () => Promise<R>, signal?: AbortSignal): Promise<R>;
  readonly active: number;
  readonly queued: number;
}

function abortError(): Error {
  return typeof DOMException === "function" ? new DOMException("aborted", "AbortError") : Object.assign(new Error("aborted"), { name: "AbortError" });
}

export function createLimiter(limit: number): Limiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  let active = 0;
  const waiting: { start: () => void; signal?: AbortSignal; cancel: () => void }[] = [];

  const next = () => {
    while (active < limit && waiting.length > 0) {
      const w = waiting.shift()!;
      if (w.signal?.aborted) {
        w.cancel();
        continue;
      }
      w.start();
    }
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    run<R>(task: () => Promise<R>, signal?: AbortSignal): Promise<R> {
      if (signal?.aborted) return Promise.reject(abortError());
      return new Promise<R>((resolve, reject) => {
        const entry = {
          signal,
          start: () => {
            signal?.removeEventListener("abort", onAbort);
            active++;
            task()
              .then(resolve, reject)
              .finally(() => {
                active--;
                next();
              });
          },
          cancel: () => reject(abortError()),
        };
        // A queued task whose caller gave up leaves the queue at once (its slot was never taken).
        const onAbort = () => {
          const i = waiting.indexOf(entry);
          if (i >= 0) waiting.splice(i, 1);
          entry.cancel();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
        next();
      });
    },
  };
}

/**
 * Runs `fn` over every item through the limiter, reporting each outcome as it lands (so a table
 * fills in progressively). Resolves when every item has settled or the signal aborted.
 */
export async function runAll<T, R>(
  limiter: Limiter,
  items: readonly T[],
  fn: (item: T, signal?: AbortSignal) => Promise<R>,
  opts: { signal?: AbortSignal; onResult: (item: T, outcome: { ok: true; value: R } | { ok: false; error: unknown }) => void },
): Promise<void> {
  await Promise.all(
    items.map((item) =>
      limiter.run(() => fn(item, opts.signal), opts.signal).then(
        (value) => {
          if (!opts.signal?.aborted) opts.onResult(item, { ok: true, value });
        },
        (error) => {
          if (!opts.signal?.aborted) opts.onResult(item, { ok: false, error });
        },
      ),
    ),
  );
}
