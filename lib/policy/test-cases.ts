/**
 * Policy test cases (issue 11): a named call with its context and the decision (and optionally
 * the rule) a policy must give it. The schema is shared by the API, the stored rows and
 * `canopy policy test --cases FILE`; the runner is pure (time comes in as `now`).
 */
import { z } from "zod";
import type { CompiledPolicy } from "./compile";
import { evaluate } from "./evaluate";
import { ACTIONS, MAX_PATTERN_LENGTH, RULE_KINDS } from "./schema";
import type { Action } from "./types";

export const MAX_TEST_CASES_PER_RUN = 1_000;

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a tenant slug such as demo-tenant");

export const testCaseCallSchema = z.strictObject({
  /** What is called (default tool); `tool` then holds the resource URI or the prompt name. */
  kind: z.enum(RULE_KINDS, { error: "call.kind must be tool, resource or prompt" }).optional(),
  tool: z.string().min(1, 'call.tool is required, e.g. "fs.write" (a resource URI or prompt name with kind: resource or prompt)').max(MAX_PATTERN_LENGTH),
  arguments: z.record(z.string(), z.unknown()).default({}),
  estimated_cost_usd: z.number().nonnegative().optional(),
});

export const testCaseExpectedSchema = z.strictObject({
  decision: z.enum(ACTIONS, { error: "expected.decision must be allow, deny or approval" }),
  /** The rule that must decide; null: the default must decide; absent: not checked. */
  rule: z.string().min(1).max(300).nullable().optional(),
});

/** A test case as written (API body, cases file): the call, optional context, the expectation. */
export const testCaseInputSchema = z.strictObject({
  name: z.string().trim().min(1, "name is required").max(200, "name is at most 200 characters"),
  call: testCaseCallSchema,
  tenant: slug.optional(),
  subject: z.string().min(1).max(200).optional(),
  roles: z.array(z.string().min(1).max(100)).max(50).optional(),
  target_role: z.string().min(1).max(100).optional(),
  at: z.iso.datetime({ offset: true, error: "at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z" }).optional(),
  expected: testCaseExpectedSchema,
});
export type TestCaseInput = z.infer<typeof testCaseInputSchema>;

/** A cases file: `cases: [...]` or a bare list (read as `cases`, so errors name cases[i].field either way). */
export const testCasesFileSchema = z
  .preprocess(
    (v) => (Array.isArray(v) ? { cases: v } : v),
    z.strictObject({ version: z.literal(1).optional(), cases: z.array(testCaseInputSchema).max(MAX_TEST_CASES_PER_RUN, `at most ${MAX_TEST_CASES_PER_RUN} cases per file`) }, { error: "a cases file holds `cases:` with a list of test cases" }),
  )
  .transform((v) => v.cases);

export interface TestCaseResult {
  name: string;
  pass: boolean;
  expected: { decision: Action; rule?: string | null };
  got: { decision: Action; rule: string | null; reason: string | null };
  /** One line: why it passed or failed. */
  message: string;
}

export interface TestRun {
  total: number;
  passed: number;
  failed: number;
  results: TestCaseResult[];
}

/** What a decision must be; `expected.rule` undefined is not checked, null asks for the default. */
export function checkExpected(expected: TestCaseInput["expected"], got: { decision: Action; rule: string | null }): { pass: boolean; message: string } {
  if (got.decision !== expected.decision) return { pass: false, message: `expected ${expected.decision}, got ${got.decision}${got.rule ? ` (rule “${got.rule}”)` : " (the default)"}` };
  if (expected.rule !== undefined && got.rule !== expected.rule)
    return { pass: false, message: `expected ${expected.rule === null ? "the default" : `rule “${expected.rule}”`} to decide, decided by ${got.rule ? `“${got.rule}”` : "the default"}` };
  return { pass: true, message: `${got.decision}${got.rule ? ` by “${got.rule}”` : " by the default"}` };
}

/**
 * Runs every case against the compiled policy with the production evaluator. A case without
 * `tenant`/`subject` uses `defaults`; without `at`, `now`.
 */
export function runTestCases(policy: CompiledPolicy, cases: readonly TestCaseInput[], defaults: { tenant?: string; subject?: string; now: Date }): TestRun {
  const results = cases.map((c): TestCaseResult => {
    const d = evaluate(
      { tool: c.call.tool, ...(c.call.kind ? { kind: c.call.kind } : {}), arguments: c.call.arguments, estimated_cost_usd: c.call.estimated_cost_usd },
      policy,
      { tenant: c.tenant ?? defaults.tenant, subject: c.subject ?? defaults.subject, roles: c.roles ?? [], targetRole: c.target_role, now: c.at ? new Date(c.at) : defaults.now },
      { trace: false },
    );
    const got = { decision: d.decision, rule: d.rule, reason: d.reason };
    return { name: c.name, expected: c.expected, got, ...checkExpected(c.expected, got) };
  });
  const passed = results.filter((r) => r.pass).length;
  return { total: results.length, passed, failed: results.length - passed, results };
}
