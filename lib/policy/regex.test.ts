import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileGlob } from "./glob";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePolicy, evaluate, formatValidationError, migratePolicy, parsePolicy } from "./index";
import { compileRegex, MAX_REGEX_LENGTH, regexProblem } from "./regex";

const now = new Date("2025-10-15T10:00:00Z");

function policyWith(pattern: string): string {
  return [
    "version: 1",
    "defaults: { decision: deny }",
    "rules:",
    "  - name: names must be safe",
    "    match: ops.run",
    "    where:",
    "      params:",
    `        name: { type: string, pattern: ${JSON.stringify(pattern)} }`,
    "    action: allow",
    "  - name: tags must be safe",
    "    match: ops.tag",
    "    where:",
    "      args:",
    `        tag: { regex: ${JSON.stringify(pattern)} }`,
    "    action: allow",
    "",
  ].join("\n");
}

describe("catastrophic patterns run in linear time", () => {
  // On a backtracking engine `^(a+)+$` against a run of 'a' ending in '!' explores 2^n ways to
  // split the run: 50,000 characters would never finish. On RE2 it is one pass over the input.
  const evil = "a".repeat(50_000) + "!";
  const parsed = parsePolicy(policyWith("^(a+)+$"));

  test("the policy is valid: the pattern is legal, only its engine mattered", () => {
    expect(parsed.errors).toEqual([]);
  });

  test.each([
    ["params.pattern", "ops.run", { name: evil }],
    ["args.regex", "ops.tag", { tag: evil }],
  ])("%s: ^(a+)+$ against 50,000 'a' + '!' completes and does not match", (_label, tool, args) => {
    const compiled = compilePolicy(parsed.policy!);
    const started = performance.now();
    const d = evaluate({ tool, arguments: args }, compiled, { now });
    const ms = performance.now() - started;
    console.log(`${_label}: ^(a+)+$ on ${evil.length} characters decided in ${ms.toFixed(1)} ms`);
    expect(d.decision).toBe("deny");
    expect(d.error).toBeUndefined();
    expect(d.matched_default).toBe(true);
  });

  test("longer inputs (up to 160,000 characters) complete with the right answer", () => {
    const re = compileRegex("^(a+)+$");
    for (const n of [10_000, 40_000, 160_000]) {
      expect(re.test("a".repeat(n) + "!")).toBe(false);
      expect(re.test("a".repeat(n))).toBe(true);
    }
  });

  test("a glob with many stars against a long made-up tool name", () => {
    const glob = compileGlob(`${"*a".repeat(20)}*b`);
    expect(glob("a".repeat(100_000))).toBe(false);
    expect(glob(`${"a".repeat(100_000)}b`)).toBe(true);
  });
});

describe("validation refuses what RE2 cannot run, saying what and how to fix it", () => {
  test.each([
    ["a numbered backreference", "(a)\\1", /backreference \(`\\1` at character 4\).*linear-time engine \(RE2\).*Match the repeated text explicitly/],
    ["a named backreference", "(?<q>['\"]).*\\k<q>", /backreference \(`\\k<q>`/],
    ["a lookahead", "^(?=.*\\d)\\w+$", /lookahead \(`\(\?=` at character 2\).*`not:` condition block/],
    ["a negative lookahead", "^(?!admin)", /lookahead \(`\(\?!`/],
    ["a lookbehind", "(?<=\\$)\\d+", /lookbehind \(`\(\?<=`/],
    ["a negative lookbehind", "(?<!x)y", /lookbehind \(`\(\?<!`/],
    ["a repeat count RE2 refuses", "a{1001}", /RE2.*invalid repeat count.*limited to 1000/],
    ["nested repeats that multiply past RE2's bound", "((a{30}){30}){30}", /invalid repeat count/],
    ["a JS syntax error", "[", /is not a valid regular expression: .*Unterminated character class/],
    ["an escape JS rejects (RE2-ism or typo)", "\\e", /is not a valid regular expression/],
    ["a pattern over the length limit", "x".repeat(MAX_REGEX_LENGTH + 1), /is 1001 characters long; policy regexes are limited to 1,000 characters/],
  ])("%s", (_label, pattern, message) => {
    expect(regexProblem(pattern)).toMatch(message);
    expect(() => compileRegex(pattern)).toThrow(message);
  });

  test.each([
    ["escaped digits are not backreferences", "\\\\1"],
    ["a digit escape inside a class is not a backreference", "[\\d]+"],
    ["(?: and named groups are fine", "(?:ab)+(?<n>c)"],
    ["JS unicode escapes", "^\\u00e9\\u{1F600}$"],
    ["unicode properties", "^\\p{L}+$"],
    ["exactly the length limit", "x".repeat(MAX_REGEX_LENGTH)],
  ])("accepted: %s", (_label, pattern) => {
    expect(regexProblem(pattern)).toBeNull();
  });

  test("the parse path locates the pattern by line and column and explains", () => {
    const text = policyWith("(?=x)y");
    const r = parsePolicy(text);
    expect(r.ok).toBe(false);
    // Where the quoted pattern starts, 1-based, on each line that holds one.
    const at = text.split("\n").flatMap((l, i) => (l.includes('"(?=x)y"') ? [`line ${i + 1}, column ${l.indexOf('"(?=x)y"') + 1}`] : []));
    expect(at).toEqual(["line 8, column 40", "line 14, column 23"]);
    expect(r.errors.map(formatValidationError)).toEqual([
      expect.stringMatching(new RegExp(`^${at[0]}: \`pattern\` uses a lookahead`)),
      expect.stringMatching(new RegExp(`^${at[1]}: \`regex\` uses a lookahead`)),
    ]);
    expect(r.errors.map((e) => e.path)).toEqual(["rules[0].where.params.name.pattern", "rules[1].where.args.tag.regex"]);
  });
});

describe("importers", () => {
  test("a TailOps pattern with a lookahead is refused by the migration, naming the converted path", () => {
    const tailops = readFileSync(join(__dirname, "../../policies/examples/tailops-v2.yaml"), "utf8");
    expect(migratePolicy(tailops).ok).toBe(true);
    const r = migratePolicy(tailops.replace('pattern: "^[a-zA-Z0-9][a-zA-Z0-9_-]*$"', 'pattern: "^(?!sshd)[a-z]+$"'));
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatchObject({ path: expect.stringMatching(/params\.service_name\.pattern$/), message: expect.stringMatching(/uses a lookahead .*linear-time engine \(RE2\)/) });
  });
});

describe("RE2 decides like JavaScript on the patterns both accept", () => {
  // A small grammar over an alphabet where JS (u flag) and RE2 agree on every construct used.
  const atom = fc.constantFrom("a", "b", "c", ".", "[ab]", "[^a]", "\\d", "\\w", "-", "1");
  const regex: fc.Arbitrary<string> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      atom,
      fc.tuple(tie("node"), tie("node")).map(([x, y]) => `${x}${y}`),
      fc.tuple(tie("node"), tie("node")).map(([x, y]) => `(?:${x}|${y})`),
      fc.tuple(tie("node"), fc.constantFrom("*", "+", "?", "{1,3}")).map(([x, q]) => `(?:${x})${q}`),
      tie("node").map((x) => `(${x})`),
    ),
  })).node as fc.Arbitrary<string>;
  const anchored = fc.tuple(fc.boolean(), regex, fc.boolean()).map(([s, r, e]) => `${s ? "^" : ""}${r}${e ? "$" : ""}`);
  const input = fc.string({ unit: fc.constantFrom("a", "b", "c", "1", "-", "\n", "é"), maxLength: 12 });

  test("same answer for random patterns and inputs", () => {
    fc.assert(
      fc.property(anchored, input, (pattern, s) => {
        expect(regexProblem(pattern)).toBeNull();
        expect(compileRegex(pattern).test(s)).toBe(new RegExp(pattern, "u").test(s));
      }),
      { numRuns: 400 },
    );
  });
});
