import { describe, expect, test } from "vitest";
import { compilePolicy, parsePolicy, runTestCases, testCasesFileSchema } from "./index";

const POLICY = `version: 1
defaults: { decision: allow }
rules:
  - { name: tools, match: "*", action: allow }
  - { name: docs, kind: resource, match: "file:///docs/*", action: allow }
  - { name: retired, kind: prompt, match: summarize, action: deny }
`;

describe("policy test cases naming resources and prompts", () => {
  const parsed = parsePolicy(POLICY);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const compiled = compilePolicy(parsed.policy);
  const cases = testCasesFileSchema.parse({
    cases: [
      { name: "a document", call: { kind: "resource", tool: "file:///docs/a.md" }, expected: { decision: "allow", rule: "docs" } },
      { name: "a resource no rule allows", call: { kind: "resource", tool: "file:///etc/passwd" }, expected: { decision: "deny", rule: null } },
      { name: "the retired prompt", call: { kind: "prompt", tool: "summarize" }, expected: { decision: "deny", rule: "retired" } },
      { name: "the tool of the same name", call: { tool: "summarize" }, expected: { decision: "allow", rule: "tools" } },
    ],
  });

  test.each(runTestCases(compiled, cases, { now: new Date("2026-01-01T00:00:00Z") }).results.map((r) => [r.name, r] as const))("%s", (_name, r) => {
    expect(r.pass, r.message).toBe(true);
  });

  test("a case with an unknown kind is refused with the field named", () => {
    const r = testCasesFileSchema.safeParse({ cases: [{ name: "x", call: { kind: "widget", tool: "x" }, expected: { decision: "deny" } }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["cases", 0, "call", "kind"], message: "call.kind must be tool, resource or prompt" });
  });
});
