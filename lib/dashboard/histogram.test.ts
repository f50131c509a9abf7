import { describe, expect, test } from "vitest";
import { histogramPercentile, upperBoundMs } from "./histogram";

describe("histogramPercentile", () => {
  test.each([
    ["no samples", [], 0.5, null],
    ["empty buckets only", [{ key: 3, count: 0 }], 0.95, null],
    ["one bucket holds every percentile", [{ key: 10, count: 7 }], 0.5, upperBoundMs(10)],
    ["p50 of 1+1 lands in the lower bucket", [{ key: 20, count: 1 }, { key: 5, count: 1 }], 0.5, upperBoundMs(5)],
    ["p95 of 19 fast and 1 slow is the fast bucket", [{ key: 5, count: 19 }, { key: 40, count: 1 }], 0.95, upperBoundMs(5)],
    ["p95 of 18 fast and 2 slow is the slow bucket", [{ key: 5, count: 18 }, { key: 40, count: 2 }], 0.95, upperBoundMs(40)],
  ])("%s", (_label, buckets, p, expected) => {
    expect(histogramPercentile(buckets, p)).toBe(expected);
  });

  test.each([
    [0, 0.1],
    [7, 1.144],
    [24, 9.835],
  ])("bucket %i ends at %f ms (1.1^(k+1) - 1)", (k, ms) => {
    expect(upperBoundMs(k)).toBeCloseTo(ms, 3);
  });
});
