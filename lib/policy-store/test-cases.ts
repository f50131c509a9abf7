import type { Principal } from "@/lib/auth";
import type { Services } from "@/lib/server/types";
import * as q from "@/lib/db/policy-test-cases";
import { platformTenant } from "@/lib/env";
import { AppError, conflict, forbidden, notFound } from "@/lib/errors";
import { type CompiledPolicy, runTestCases, type TestCaseInput, type TestRun } from "@/lib/policy";
import type { TestCaseBody, TestCaseScope } from "./test-case-schemas";

/** Test cases one tenant keeps (each run on every keystroke of the studio and at every apply). */
export const MAX_TEST_CASES_PER_TENANT = 500;

export function testCaseView(r: q.TestCaseRow) {
  const ctx = (r.context ?? {}) as Record<string, unknown>;
  const call = r.call as TestCaseInput["call"];
  return {
    id: r.id,
    name: r.name,
    scope: r.scope as TestCaseScope,
    call: { tool: call.tool, arguments: call.arguments ?? {}, ...(call.estimated_cost_usd !== undefined ? { estimated_cost_usd: call.estimated_cost_usd } : {}) },
    ...(typeof ctx.tenant === "string" ? { tenant: ctx.tenant } : {}),
    ...(typeof ctx.subject === "string" ? { subject: ctx.subject } : {}),
    ...(Array.isArray(ctx.roles) ? { roles: ctx.roles as string[] } : {}),
    ...(typeof ctx.target_role === "string" ? { target_role: ctx.target_role } : {}),
    ...(typeof ctx.at === "string" ? { at: ctx.at } : {}),
    // The column keeps "" for "the default decides" (null: the rule is not checked).
    expected: { decision: r.expectedDecision as TestCaseInput["expected"]["decision"], ...(r.expectedRule === null ? {} : { rule: r.expectedRule === "" ? null : r.expectedRule }) },
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
export type TestCaseView = ReturnType<typeof testCaseView>;

function rowData(principal: Principal, body: TestCaseBody) {
  if (body.scope === "platform" && principal.tenant !== platformTenant()) {
    throw forbidden(`platform test cases gate rollouts to every tenant: only the platform tenant ${platformTenant()} keeps them; use scope "tenant"`);
  }
  if (body.scope === "tenant" && body.tenant && body.tenant !== principal.tenant) {
    throw forbidden(`a tenant test case decides calls of its own tenant ${principal.tenant}, not ${body.tenant}`);
  }
  const context = Object.fromEntries(Object.entries({ tenant: body.tenant, subject: body.subject, roles: body.roles, target_role: body.target_role, at: body.at }).filter(([, v]) => v !== undefined));
  return {
    name: body.name,
    scope: body.scope,
    call: body.call as unknown as q.NewTestCase["call"],
    context: context as q.NewTestCase["context"],
    expectedDecision: body.expected.decision,
    expectedRule: body.expected.rule === undefined ? null : (body.expected.rule ?? ""),
  };
}

export async function listTestCases(svc: Services, principal: Principal, scope?: TestCaseScope) {
  const { prisma } = await svc.db();
  return { test_cases: (await q.listTestCases(prisma, principal.tenant, scope)).map(testCaseView) };
}

async function audit(svc: Services, principal: Principal, what: string, tc: TestCaseView) {
  await svc.audit.append({ tenant: principal.tenant, kind: "policy_change", subject: principal.subject, reason: `policy test case “${tc.name}” ${what}`, data: { action: `test_case_${what}`, test_case: tc } });
}

export async function createTestCase(svc: Services, principal: Principal, body: TestCaseBody) {
  const { prisma } = await svc.db();
  if ((await q.countTestCases(prisma, principal.tenant)) >= MAX_TEST_CASES_PER_TENANT)
    throw conflict(`tenant ${principal.tenant} keeps at most ${MAX_TEST_CASES_PER_TENANT} test cases: delete one first`);
  if (await q.findTestCaseByName(prisma, principal.tenant, body.name))
    throw conflict(`a test case named “${body.name}” exists already in ${principal.tenant}: choose another name or update it (PUT /api/v1/policy/test-cases/{id})`);
  const row = await q.createTestCase(prisma, { tenantId: principal.tenant, createdBy: principal.subject, ...rowData(principal, body) });
  const view = testCaseView(row);
  await audit(svc, principal, "created", view);
  return view;
}

export async function updateTestCase(svc: Services, principal: Principal, id: number, body: TestCaseBody) {
  const { prisma } = await svc.db();
  const same = await q.findTestCaseByName(prisma, principal.tenant, body.name);
  if (same && same.id !== id) throw conflict(`a test case named “${body.name}” exists already in ${principal.tenant}`);
  const row = await q.updateTestCase(prisma, principal.tenant, id, rowData(principal, body));
  if (!row) throw notFound(`test case ${id} does not exist in ${principal.tenant}`);
  const view = testCaseView(row);
  await audit(svc, principal, "updated", view);
  return view;
}

export async function deleteTestCase(svc: Services, principal: Principal, id: number) {
  const { prisma } = await svc.db();
  const row = await q.getTestCase(prisma, principal.tenant, id);
  if (!row || !(await q.deleteTestCase(prisma, principal.tenant, id))) throw notFound(`test case ${id} does not exist in ${principal.tenant}`);
  await audit(svc, principal, "deleted", testCaseView(row));
  return { deleted: id };
}

/**
 * The test cases that gate an apply: a platform rollout (owner null) runs the platform tenant's
 * platform-scope cases; a pin of a tenant's own version runs that tenant's tenant-scope cases.
 */
export async function gateCases(svc: Services, owner: string | null): Promise<TestCaseInput[]> {
  const { prisma } = await svc.db();
  const rows = owner === null ? await q.listTestCases(prisma, platformTenant(), "platform") : await q.listTestCases(prisma, owner, "tenant");
  return rows.map((r) => {
    const v = testCaseView(r);
    return { name: v.name, call: v.call, tenant: v.tenant ?? r.tenantId, subject: v.subject, roles: v.roles, target_role: v.target_role, at: v.at, expected: v.expected };
  });
}

export interface GateOutcome {
  run: TestRun;
  overridden: string | null;
}

/**
 * Runs the scope's test cases against the policy about to be applied: any failure refuses the
 * apply (422, with the failing cases) unless the author gives `override_reason`, which the audit
 * record of the apply carries.
 */
export async function enforceTestCases(svc: Services, owner: string | null, policy: CompiledPolicy, principal: Principal, overrideReason: string | undefined, now: Date): Promise<GateOutcome> {
  const cases = await gateCases(svc, owner);
  const run = runTestCases(policy, cases, { tenant: owner ?? principal.tenant, subject: principal.subject, now });
  if (run.failed === 0) return { run, overridden: null };
  const failing = run.results.filter((r) => !r.pass);
  if (!overrideReason) {
    throw new AppError(
      422,
      "test_cases_failed",
      `${run.failed} of ${run.total} ${owner === null ? "platform" : `tenant ${owner}`} test case(s) fail against this policy (first: “${failing[0].name}”: ${failing[0].message}); nothing was applied. Fix the policy or the cases, or apply with override_reason to apply anyway (audited)`,
      { failing, total: run.total, passed: run.passed },
    );
  }
  return { run, overridden: overrideReason };
}
