/**
 * Policy test cases as the studio keeps them for now: named calls with the decision (and
 * optionally the rule) they must get. Today a store in this browser (localStorage, per tenant);
 * the TestCaseStore interface is what a server-backed store will implement.
 */
import { z } from "zod";
import type { Action, PolicyApi, ServerTestCase, SimCall, SimDecision } from "./policy-api";
import { callKey, type SimCase } from "./sim-cases";

export const MAX_TEST_CASES = 200;
const MAX_NAME = 200;

const action = z.enum(["allow", "deny", "approval"]);

export const testCaseSchema = z.object({
  id: z.string().min(1).max(100),
  name: z.string().min(1).max(MAX_NAME),
  call: z.object({
    tool: z.string().min(1).max(500),
    arguments: z.record(z.string(), z.unknown()),
    subject: z.string().min(1).optional(),
    roles: z.array(z.string().min(1)).optional(),
    target_role: z.string().min(1).optional(),
    at: z.string().optional(),
  }),
  expect: z.object({ decision: action, rule: z.string().nullable().optional() }),
  created_at: z.string(),
});
export type PolicyTestCase = z.infer<typeof testCaseSchema>;

export interface TestCaseStore {
  load(): Promise<PolicyTestCase[]>;
  /** Replaces the whole list (a local store). */
  save?(cases: PolicyTestCase[]): Promise<void>;
  /** Adds one case and answers it as stored (a server store assigns the id). */
  add?(tc: PolicyTestCase): Promise<PolicyTestCase>;
  remove?(id: string): Promise<void>;
}

/** The server's test cases of the tenant (/api/v1/policy/test-cases), as the studio's cases. */
export function serverTestCaseStore(api: Pick<PolicyApi, "testCases" | "addTestCase" | "removeTestCase">): TestCaseStore {
  const fromServer = (v: ServerTestCase): PolicyTestCase => ({
    id: String(v.id),
    name: v.name,
    call: {
      tool: v.call.tool,
      arguments: v.call.arguments,
      ...(v.subject ? { subject: v.subject } : {}),
      ...(v.roles ? { roles: v.roles } : {}),
      ...(v.target_role ? { target_role: v.target_role } : {}),
      ...(v.at ? { at: v.at } : {}),
    },
    expect: v.expected,
    created_at: v.created_at,
  });
  return {
    load: async () => (await api.testCases()).map(fromServer),
    add: async (tc) => {
      const { tool, arguments: args, subject, roles, target_role, at } = tc.call;
      return fromServer(
        await api.addTestCase({
          name: tc.name,
          call: { tool, arguments: args },
          ...(subject ? { subject } : {}),
          ...(roles ? { roles } : {}),
          ...(target_role ? { target_role } : {}),
          ...(at ? { at } : {}),
          expected: tc.expect,
        }),
      );
    },
    remove: (id) => api.removeTestCase(Number(id)),
  };
}

/** A name not yet used among `cases` ("name", "name (2)", …): names are unique per tenant. */
export function uniqueName(name: string, cases: readonly { name: string }[]): string {
  const taken = new Set(cases.map((c) => c.name));
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) {
    const n = `${name.slice(0, MAX_NAME - 6)} (${i})`;
    if (!taken.has(n)) return n;
  }
}

/** A store in `storage` under `key`; what cannot be read back as test cases is dropped, never trusted. */
export function localTestCaseStore(storage: Pick<Storage, "getItem" | "setItem"> | undefined, key: string): TestCaseStore {
  return {
    async load() {
      const raw = storage?.getItem(key);
      if (!raw) return [];
      try {
        const parsed = z.array(z.unknown()).parse(JSON.parse(raw));
        return parsed.flatMap((c) => {
          const r = testCaseSchema.safeParse(c);
          return r.success ? [r.data] : [];
        });
      } catch {
        return [];
      }
    },
    async save(cases: PolicyTestCase[]) {
      if (!storage) throw new Error("this browser keeps no local storage: test cases cannot be saved");
      storage.setItem(key, JSON.stringify(cases.slice(0, MAX_TEST_CASES)));
    },
  };
}

export function testCasesKey(tenant: string): string {
  return `canopy.policy-test-cases.v1:${tenant}`;
}

function newId(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** A test case from a simulated call: it expects what the draft decided (the author edits it if not). */
export function testCaseFrom(call: SimCall, decision: { decision: Action; rule: string | null }, name?: string, now = new Date()): PolicyTestCase {
  const { estimated_cost_usd: _cost, ...rest } = call;
  return testCaseSchema.parse({
    id: newId(),
    name: (name?.trim() || `${call.tool} → ${decision.decision}${decision.rule ? ` (${decision.rule})` : ""}`).slice(0, MAX_NAME),
    call: rest,
    expect: { decision: decision.decision, rule: decision.rule },
    created_at: now.toISOString(),
  });
}

export function testCaseToSimCase(tc: PolicyTestCase): SimCase {
  // No roles stated means none: the simulate API would otherwise use the author's own roles.
  const call: SimCall = { ...tc.call, roles: tc.call.roles ?? [] };
  return {
    id: `test:${tc.id}`,
    source: "test",
    label: tc.name,
    call,
    key: callKey(call),
    redacted: false,
    // A test case states its roles (none given means none): it is exact by construction.
    rolesKnown: true,
    argsMissing: false,
    expected: { decision: tc.expect.decision, rule: tc.expect.rule },
  };
}

/** Pass/fail of a case's expectation against a decision; undefined when the case expects nothing. */
export function checkExpectation(expected: SimCase["expected"], got: Pick<SimDecision, "decision" | "rule"> | null | undefined): { pass: boolean; message: string } | undefined {
  if (!expected) return undefined;
  if (!got) return { pass: false, message: "no decision" };
  if (got.decision !== expected.decision) return { pass: false, message: `expected ${expected.decision}, got ${got.decision}` };
  // `rule: null` expects the default to decide; an absent rule is not checked.
  if (expected.rule !== undefined && got.rule !== expected.rule)
    return { pass: false, message: `expected ${expected.rule === null ? "the default" : `rule “${expected.rule}”`}, decided by ${got.rule ? `“${got.rule}”` : "the default"}` };
  return { pass: true, message: `${got.decision}${got.rule ? ` by “${got.rule}”` : " by the default"}` };
}
