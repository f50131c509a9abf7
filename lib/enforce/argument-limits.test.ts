import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkArgumentBounds, describeViolation } from "./argument-limits";

const roomy = { maxDepth: 1000, maxBytes: 1e9, maxKeys: 1e6, maxItems: 1e6 };

/** Depth as the checker counts it: containers nested, the outermost being 1; scalars 0. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...kids.map(depthOf));
}

describe("checkArgumentBounds", () => {
  test("the byte count is exactly the UTF-8 JSON size: at the size it passes, one byte less it is refused", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const size = Buffer.byteLength(JSON.stringify(v));
        expect(checkArgumentBounds(v, { ...roomy, maxBytes: size })).toBeNull();
        expect(checkArgumentBounds(v, { ...roomy, maxBytes: size - 1 })).toMatchObject({ limit: "bytes", max: size - 1 });
      }),
      { numRuns: 300 },
    );
  });

  test("the depth limit holds exactly", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const d = depthOf(v);
        expect(checkArgumentBounds(v, { ...roomy, maxDepth: Math.max(1, d) })).toBeNull();
        if (d > 1) expect(checkArgumentBounds(v, { ...roomy, maxDepth: d - 1 })).toMatchObject({ limit: "depth", max: d - 1, actual: d });
      }),
      { numRuns: 300 },
    );
  });

  test("a million levels are walked without recursion and refused at the first level past the limit", () => {
    let v: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    const started = performance.now();
    expect(checkArgumentBounds(v, { ...roomy, maxDepth: 32 })).toMatchObject({ limit: "depth", actual: 33, path: `arguments${"[0]".repeat(32)}` });
    expect(performance.now() - started).toBeLessThan(500);
  });

  test.each([
    ["keys", { a: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 1])) }, { maxKeys: 10 }, "arguments.a", 11],
    ["items", { list: [1, 2, 3, 4] }, { maxItems: 3 }, "arguments.list", 4],
    ["keys (odd key names quoted, long ones cut)", { ["x".repeat(100)]: { "a b": { c: 1, d: 2 } } }, { maxKeys: 1 }, `arguments["${"x".repeat(64)}…"]["a b"]`, 2],
  ] as const)("%s: the offending path and the count, never a value", (limit, value, over, path, actual) => {
    expect(checkArgumentBounds(value, { ...roomy, ...over })).toEqual({ limit: limit.split(" ")[0], max: Object.values(over)[0], actual, path });
  });

  test("paths are bounded however long the keys and deep the nesting", () => {
    let v: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) v = { ["k".repeat(500)]: v };
    const r = checkArgumentBounds(v, { ...roomy, maxDepth: 32 });
    expect(r?.limit).toBe("depth");
    expect(r!.path.length).toBeLessThan(700);
  });

  test.each([
    [{ limit: "depth", max: 32, actual: 33, path: "arguments.a" }, /arguments are nested deeper than 32 levels \(at arguments\.a\): send smaller arguments \(the limit is TOOL_ARGS_MAX_DEPTH\)/],
    [{ limit: "bytes", max: 10, actual: 11, path: "arguments" }, /larger than 10 bytes as JSON.*TOOL_ARGS_MAX_BYTES/],
    [{ limit: "keys", max: 1, actual: 2, path: "meta.x" }, /meta contain an object with 2 keys, more than 1 \(at meta\.x\).*TOOL_ARGS_MAX_KEYS/],
    [{ limit: "items", max: 1, actual: 2, path: "arguments.l" }, /an array with 2 items.*TOOL_ARGS_MAX_ITEMS/],
  ] as const)("describeViolation says what, where and how to fix: %j", (v, message) => {
    expect(describeViolation(v)).toMatch(message);
  });
});
