/**
 * Percentiles from the rollup's latency histogram: bucket k holds latencies in
 * [1.1^k - 1, 1.1^(k+1) - 1) ms (see migration audit_activity). Pure.
 */

export const upperBoundMs = (k: number) => Math.round((1.1 ** (k + 1) - 1) * 1000) / 1000;

/** The upper bound of the bucket holding the p-th percentile (0 < p ≤ 1); null for no samples. */
export function histogramPercentile(buckets: { key: number; count: number }[], p: number): number | null {
  const sorted = buckets.filter((b) => b.count > 0).sort((a, b) => a.key - b.key);
  const total = sorted.reduce((n, b) => n + b.count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(p * total);
  let seen = 0;
  for (const b of sorted) {
    seen += b.count;
    if (seen >= rank) return upperBoundMs(b.key);
  }
  return upperBoundMs(sorted[sorted.length - 1].key);
}
