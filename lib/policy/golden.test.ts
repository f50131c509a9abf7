/**
 * Golden fixtures: each file in __fixtures__ holds a policy (YAML text) and labelled calls with
 * the expected decision and deciding rule. Every case also runs without a trace and must decide
 * identically, and its trace must end the way the decision says.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { compilePolicy, evaluate, parsePolicy, type EvalContext } from "./index";

interface FixtureCase {
  label: string;
  call: unknown;
  context?: { tenant?: string; subject?: string; roles?: string[]; target_role?: string; at?: string };
  /** error: true, or a regular expression the error must match (the reason, not just any failure). */
  expect: { decision: string; rule: string | null; error?: boolean | string; required_approvals?: number };
}
interface Fixture {
  description: string;
  policy: string;
  context?: FixtureCase["context"];
  cases: FixtureCase[];
}

const dir = join(__dirname, "__fixtures__");
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

function toContext(c: FixtureCase["context"] = {}): EvalContext {
  return {
    tenant: c.tenant,
    subject: c.subject,
    roles: c.roles,
    targetRole: c.target_role,
    now: new Date(c.at ?? "2025-10-15T10:00:00Z"),
  };
}

test("there are golden fixtures", () => {
  expect(files.length).toBeGreaterThanOrEqual(9);
});

for (const file of files) {
  const fx = parse(readFileSync(join(dir, file), "utf8")) as Fixture;
  describe(`${file}: ${fx.description}`, () => {
    const parsed = parsePolicy(fx.policy);
    test("policy is valid", () => {
      expect(parsed.errors).toEqual([]);
    });
    if (!parsed.ok) return;
    const compiled = compilePolicy(parsed.policy);
    test.each(fx.cases.map((c) => [c.label, c] as const))("%s", (_label, c) => {
      const ctx = toContext({ ...fx.context, ...c.context });
      const d = evaluate(c.call, compiled, ctx);
      expect({ decision: d.decision, rule: d.rule }).toEqual({ decision: c.expect.decision, rule: c.expect.rule });
      expect(d.matched_default).toBe(c.expect.rule === null && !c.expect.error);
      if (typeof c.expect.error === "string") expect(d.error).toMatch(new RegExp(c.expect.error));
      else if (c.expect.error) expect(d.error).toBeTruthy();
      else expect(d.error).toBeUndefined();
      if (c.expect.required_approvals !== undefined) expect(d.required_approvals).toBe(c.expect.required_approvals);

      const fast = evaluate(c.call, compiled, ctx, { trace: false });
      expect(fast.trace).toBeUndefined();
      expect({ ...fast, trace: undefined }).toEqual({ ...d, trace: undefined });

      const last = d.trace![d.trace!.length - 1];
      if (c.expect.error) expect(last.kind).toBe("error");
      else if (c.expect.rule === null) expect(last).toMatchObject({ kind: "default", decision: c.expect.decision });
      else expect(last).toMatchObject({ kind: "rule", name: c.expect.rule, matched: true });
      for (const e of d.trace!.slice(0, -1)) if (e.kind === "rule") expect(e.matched).toBe(false);
    });
  });
}
