import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compilePolicy, evaluate, loadPolicy, policyJsonSchema, type EvalContext, type PolicyDecision } from "./index";
import { DEFAULT_FACT_SOURCES } from "./facts";
import { utf8ByteLength } from "./utf8";

const now = new Date("2025-10-15T10:00:00Z");

function must(yaml: string) {
  const r = loadPolicy(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.compiled;
}

const SEVERITY = { allow: 0, approval: 1, deny: 2 } as const;

describe("several arguments supplying a host or a body (issue 9 item 10)", () => {
  const p = must(`version: 1
defaults: { decision: allow }
facts:
  net.http: { host: target, body: blob }
rules:
  - { name: no-deletes, match: net.http, where: { method: DELETE }, action: deny }
  - { name: big-body, match: net.http, where: { body_bytes_over: 100 }, action: deny }
  - { name: partner, match: net.http, where: { host_in: [partner.io] }, action: approval }
  - { name: internal, match: net.http, where: { host_in: [api.internal.com, "*.internal.com"] }, action: allow }
  - { name: elsewhere, match: net.http, where: { host_not_in: [api.internal.com, "*.internal.com", partner.io] }, action: deny }
`);
  const hostKeys = [...DEFAULT_FACT_SOURCES.host, "target"];
  const bodyKeys = [...DEFAULT_FACT_SOURCES.body, "blob"];
  const hostArb = fc.constantFrom("api.internal.com", "x.internal.com", "partner.io", "evil.com");
  // The same host written the ways agents write it.
  const spelled = (h: string, form: number) => [h, `https://${h}/v1`, `http://${h.toUpperCase()}:8443/`, `${h}.`][form];
  const argsArb = fc
    .record({
      hosts: fc.uniqueArray(fc.constantFrom(...hostKeys), { maxLength: 4 }).chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.tuple(hostArb, fc.nat(3)), { minLength: keys.length, maxLength: keys.length }))),
      bodies: fc.uniqueArray(fc.constantFrom(...bodyKeys), { maxLength: 4 }).chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.string({ maxLength: 70 }), { minLength: keys.length, maxLength: keys.length }))),
    })
    .map(({ hosts: [hk, hv], bodies: [bk, bv] }) => ({
      hosts: hk.map((k, i) => ({ key: k, host: hv[i][0], value: spelled(hv[i][0], hv[i][1]) })),
      bodies: bk.map((k, i) => ({ key: k, value: bv[i] })),
    }));
  const decide = (args: Record<string, unknown>): PolicyDecision => evaluate({ tool: "net.http", arguments: args }, p, { now }, { trace: false });
  const single = (key: string, value: unknown) => decide({ [key]: value });

  test("the decision equals the worst case over the individual sources; conflicts and summed bodies only make it stricter", () => {
    fc.assert(
      fc.property(argsArb, ({ hosts, bodies }) => {
        const args: Record<string, unknown> = {};
        for (const h of hosts) args[h.key] = h.value;
        for (const b of bodies) args[b.key] = b.value;
        const all = decide(args);

        // Never more permissive than any one source on its own.
        const worst = Math.max(0, ...[...hosts, ...bodies].map((s) => SEVERITY[single(s.key, s.value).decision]));
        expect(SEVERITY[all.decision]).toBeGreaterThanOrEqual(worst);

        // And exactly the worst case, once conflicting hosts and the summed body are accounted for.
        const distinct = new Set(hosts.map((h) => h.host));
        const bytes = bodies.reduce((n, b) => n + utf8ByteLength(b.value), 0);
        if (distinct.size > 1) {
          expect(all).toMatchObject({ decision: "deny", rule: null, error: expect.stringMatching(/^conflicting hosts: argument `\w+` names \S+ but `\w+` names \S+; a call must name one destination host$/) });
        } else if (bytes > 100) {
          expect(all).toMatchObject({ decision: "deny", rule: "big-body" });
        } else {
          // One host (or none) and a small total body: the call decides like its host alone.
          const alone = hosts.length > 0 ? single(hosts[0].key, hosts[0].value) : decide({});
          expect({ decision: all.decision, rule: all.rule }).toEqual({ decision: alone.decision, rule: alone.rule });
          expect(SEVERITY[all.decision]).toBe(worst);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("splitting one body across several arguments never changes the decision", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: bodyKeys.length }), hostArb, (parts, host) => {
        const split: Record<string, unknown> = { url: `https://${host}/` };
        parts.forEach((part, i) => (split[bodyKeys[i]] = part));
        const whole = decide({ url: `https://${host}/`, body: parts.join("") });
        expect(decide(split).decision).toBe(whole.decision);
      }),
    );
  });

  test.each([
    ["url and host disagree (issue 9's attack)", { url: "http://api.internal.com/", host: "evil.com" }, "conflicting hosts: argument `url` names api.internal.com but `host` names evil.com; a call must name one destination host"],
    ["a mapped argument disagrees with a default one", { target: "api.internal.com", endpoint: "https://evil.com/" }, "conflicting hosts: argument `endpoint` names evil.com but `target` names api.internal.com; a call must name one destination host"],
    ["methods disagree", { url: "http://api.internal.com/", method: "get", http_method: "POST" }, 'conflicting methods: argument `method` says "GET" but `http_method` says "POST"; a call must name one method'],
  ])("%s → deny naming both arguments", (_label, args, reason) => {
    const d = evaluate({ tool: "net.http", arguments: args }, p, { now });
    expect(d).toMatchObject({ decision: "deny", rule: null, error: reason });
    expect(d.reason).toContain(reason);
  });

  test("a small body cannot hide a large content (issue 9's attack, at 1 MiB)", () => {
    const big = must(`version: 1
defaults: { decision: deny }
rules:
  - { name: big-body, match: probe.http, where: { body_bytes_over: 1048576 }, action: deny }
  - { name: internal, match: probe.http, where: { host_in: [api.internal.com] }, action: allow }
`);
    const call = { tool: "probe.http", arguments: { url: "http://api.internal.com/", body: "x", content: "y".repeat(1_100_000) } };
    expect(evaluate(call, big, { now })).toMatchObject({ decision: "deny", rule: "big-body" });
    // Each argument on its own passes; only their sum is over.
    expect(evaluate({ tool: "probe.http", arguments: { url: "http://api.internal.com/", body: "y".repeat(1_048_575), content: "z" } }, big, { now }).decision).toBe("allow");
    expect(evaluate({ tool: "probe.http", arguments: { url: "http://api.internal.com/", body: "y".repeat(1_048_576), content: "z" } }, big, { now }).rule).toBe("big-body");
  });
});

describe("cost facts and unknown_cost", () => {
  const p = must(`version: 1
defaults: { decision: deny, unknown_cost: approval, approver_group: finops, expires_in: 30m, required_approvals: 2 }
rules:
  - { name: costly, match: "cloud.*", where: { estimated_cost_usd_over: 10 }, action: deny, reason: "too expensive" }
  - { name: cheap, match: "cloud.*", action: allow }
`);
  const ctx = (estimateCost?: EvalContext["estimateCost"]): EvalContext => ({ now, ...(estimateCost ? { estimateCost } : {}) });

  test("an unknown cost through defaults.unknown_cost: approval with the defaults' approval fields, the reason and the trace say why", () => {
    const d = evaluate({ tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" } }, p, ctx());
    expect(d).toMatchObject({
      decision: "approval",
      rule: "costly",
      required_approvals: 2,
      approver_group: "finops",
      expires_in_seconds: 1800,
      reason: 'cost unknown: the catalog has no entry for aws quantum.entangle; rule "costly" decides defaults.unknown_cost: approval',
    });
    const entry = d.trace!.at(-1)!;
    expect(entry).toMatchObject({ kind: "rule", name: "costly", matched: true, unknown_cost: "approval" });
    expect(entry.kind === "rule" && entry.conditions[0]).toMatchObject({
      condition: "estimated_cost_usd_over",
      expected: 10,
      actual: "unknown (the catalog has no entry for aws quantum.entangle): counted as over",
      held: true,
    });
  });

  type Estimator = NonNullable<EvalContext["estimateCost"]>;
  const estimators: [string, Estimator, string, string, Record<string, unknown>][] = [
    ["a number is a known cost", () => 12, "deny", "costly", {}],
    ["a number under the threshold", () => 2, "allow", "cheap", {}],
    ["a stated cost raises a known estimate", () => 2, "deny", "costly", { estimated_cost_usd: 11 }],
    ["a stated cost cannot lower a known estimate", () => 50, "deny", "costly", { estimated_cost_usd: 1 }],
    ["{known: false} is unknown", () => ({ usd: 0, known: false, note: "cost unknown: test" }), "approval", "costly", {}],
    ["null is unknown", () => null, "approval", "costly", {}],
    ["{usd, known: true}", () => ({ usd: 3, known: true }), "allow", "cheap", {}],
  ];
  test.each(estimators)("injected estimator: %s", (_label, estimator, decision, rule, args) => {
    expect(evaluate({ tool: "cloud.ops", arguments: args }, p, ctx(estimator))).toMatchObject({ decision, rule });
  });

  test("the estimator's figure must be money too", () => {
    expect(evaluate({ tool: "cloud.ops" }, p, ctx(() => -3))).toMatchObject({ decision: "deny", error: expect.stringMatching(/the cost estimator's result must not be negative/) });
    expect(evaluate({ tool: "cloud.ops" }, p, ctx(() => ({ usd: Infinity, known: true })))).toMatchObject({ decision: "deny", error: expect.stringMatching(/must be a finite number/) });
  });

  test("a rule's unknown_cost: approval may carry approval fields on an allow or deny rule; others may not", () => {
    expect(loadPolicy("version: 1\nrules:\n  - { name: a, match: x, action: allow, unknown_cost: approval, approver_group: g, required_approvals: 2 }\n").ok).toBe(true);
    const bad = loadPolicy("version: 1\nrules:\n  - { name: a, match: x, action: allow, unknown_cost: deny, approver_group: g }\n");
    expect(bad.errors[0].message).toMatch(/`approver_group` only applies to `action: approval` \(or `unknown_cost: approval`\)/);
    const typo = loadPolicy("version: 1\ndefaults: { decision: deny, unknown_cost: maybe }\nrules: []\n");
    expect(typo.errors[0]).toMatchObject({ line: 2, path: "defaults.unknown_cost", message: expect.stringMatching(/unknown unknown_cost `maybe`; expected allow, deny or approval/) });
  });

  test("the JSON Schema export describes unknown_cost on rules and in defaults", () => {
    const s = policyJsonSchema() as { properties: { defaults: { properties: Record<string, unknown> }; rules: { items: { properties: Record<string, unknown> } } } };
    for (const at of [s.properties.defaults.properties, s.properties.rules.items.properties]) {
      expect(at.unknown_cost).toMatchObject({ enum: ["allow", "deny", "approval"], description: expect.stringContaining("unknown") });
    }
  });

  test("compiled defaults expose unknown_cost for the budget check", () => {
    expect(p.defaults.unknown_cost).toBe("approval");
    expect(compilePolicy({ version: 1, rules: [] }).defaults.unknown_cost).toBeNull();
  });
});
