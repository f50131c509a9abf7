import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { shellCommand, shellQuote } from "./quote";

describe("shell quoting for remote commands", () => {
  test("any arguments (without NUL) reach the program unchanged through /bin/sh", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000")), { minLength: 1, maxLength: 6 }), (args) => {
        const out = execFileSync("/bin/sh", ["-c", shellCommand(["printf", "%s\\0", ...args])]);
        expect(out.toString("utf8").split("\u0000").slice(0, -1)).toEqual(args.map((a) => Buffer.from(a, "utf8").toString("utf8")));
      }),
      { numRuns: 150 },
    );
  });

  test.each([
    ["plain", "nginx", "nginx"],
    ["space", "a b", "'a b'"],
    ["single quote", "it's", `'it'\\''s'`],
    ["substitution", "$(id)", "'$(id)'"],
    ["empty", "", "''"],
  ])("%s", (_l, input, quoted) => {
    expect(shellQuote(input)).toBe(quoted);
  });

  test("a NUL byte cannot be quoted and is refused", () => {
    expect(() => shellQuote("a\u0000b")).toThrow(/NUL/);
  });
});
