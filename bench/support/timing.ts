/** Timing helpers the benches' floor measurements share. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The p-th percentile of sorted values (0 when empty). */
export function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * p50 and p99 (ms) of `n` sequential runs of fn after 30 warm-up runs; with gapMs > 0, each run
 * follows an idle gap of that long (a paced caller, not a back-to-back one).
 */
export async function timed(n: number, gapMs: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 30; i++) await fn(i);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    if (gapMs > 0) await sleep(gapMs);
    const t = performance.now();
    await fn(i);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { p50: r3(pct(lat, 50)), p99: r3(pct(lat, 99)) };
}
