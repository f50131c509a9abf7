/** Load generation for benchmarks: closed loop (N in flight, saturation) and open loop (fixed rate). */

export interface LoadResult {
  calls: number;
  errors: number;
  seconds: number;
  callsPerSecond: number;
  p50: number;
  p99: number;
  /** Every latency in ms, sorted. */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(latencies: number[], errors: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    calls: latencies.length,
    errors,
    seconds,
    callsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/** `concurrency` loops calling `fn` back to back for `seconds`. */
export async function closedLoop(fn: () => Promise<boolean>, concurrency: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const ok = await fn().catch(() => false);
        if (ok) latencies.push(performance.now() - t);
        else errors += 1;
      }
    }),
  );
  return summarize(latencies, errors, (performance.now() - started) / 1000);
}

/**
 * Calls started on a fixed schedule (`rate` per second) regardless of how long earlier calls
 * take, so queueing shows up in the latencies (no coordinated omission).
 */
export async function openLoop(fn: () => Promise<boolean>, rate: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      fn()
        .catch(() => false)
        .then((ok) => {
          if (ok) latencies.push(performance.now() - due);
          else errors += 1;
        }),
    );
  }
  await Promise.all(inflight);
  return summarize(latencies, errors, (performance.now() - started) / 1000);
}
