import { posix } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Document, stringify } from "yaml";
import { compilePolicy, evaluate, parsePolicy, type Conditions, type Policy } from "./index";
import { isUnder, normalizeAbsolutePath } from "./paths";
import type { ArgTest } from "./schema";

const now = new Date("2025-10-15T10:00:00Z");

/* Arbitrary policies over a small vocabulary, so calls actually hit rules. */
const toolArb = fc.constantFrom("fs.read", "fs.write", "net.http", "cloud.ops", "refunds.refund", "ops.deploy");
const patternArb = fc.oneof(toolArb, fc.constantFrom("fs.*", "*", "cloud.*", "ops.?eploy", "refunds.*"));
const condArb: fc.Arbitrary<Conditions> = fc.record(
  {
    method: fc.constantFrom("GET", "post", ["PUT", "DELETE"]),
    host_in: fc.constantFrom(["a.com"], ["*.b.com", "c.com"]),
    host_not_in: fc.constantFrom(["a.com"], ["*.b.com"]),
    body_bytes_over: fc.nat(20),
    path_under: fc.constantFrom(["/sandbox/tmp"], ["/etc", "/usr"]),
    path_not_under: fc.constantFrom(["/sandbox/tmp", "/sandbox/out"]),
    estimated_cost_usd_over: fc.constantFrom(0, 10, 100),
    amount_cents_over: fc.constantFrom(100, 15000),
    cap_cents: fc.constantFrom(100, 15000),
    ops: fc.constantFrom(["refund"], "payout"),
    tenant_in: fc.constantFrom(["t1"], ["t2", "t3"]),
    roles_any: fc.constantFrom(["admin"], ["sre", "emergency"]),
    target_roles: fc.constantFrom(["production"], "development"),
    args: fc.constantFrom<Record<string, ArgTest>>({ "opt.force": { equals: true } }, { n: { gt: 1, lt: 9 } }),
    time_window: fc.constantFrom({ days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" }, { start: "22:00", end: "06:00", timezone: "Europe/Paris" }),
  },
  { requiredKeys: [] },
);
const actionArb = fc.constantFrom("allow" as const, "deny" as const, "approval" as const);
const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    defaults: actionArb,
    rules: fc.array(fc.record({ match: fc.oneof(patternArb, fc.array(patternArb, { minLength: 1, maxLength: 3 })), where: condArb, action: actionArb }), { maxLength: 12 }),
  })
  .map(({ defaults, rules }) => ({
    version: 1 as const,
    defaults: { decision: defaults },
    rules: rules.map((r, i) => ({ name: `r${i}`, ...r })),
  }));
const argsArb = fc.record(
  {
    method: fc.constantFrom("GET", "POST", "put", "DELETE"),
    url: fc.constantFrom("https://a.com/x", "https://x.b.com/", "http://c.com:8080", "https://d.org"),
    path: fc.constantFrom("/sandbox/tmp/a", "/etc/passwd", "/sandbox/tmp/../../etc/x", "/usr/bin", "/sandbox/out/r"),
    body: fc.string({ maxLength: 30 }),
    estimated_cost_usd: fc.double({ min: 0, max: 200, noNaN: true }),
    amount_cents: fc.nat(30000),
    op: fc.constantFrom("refund", "payout"),
    opt: fc.record({ force: fc.boolean() }),
    n: fc.integer({ min: -5, max: 15 }),
  },
  { requiredKeys: [] },
);
const ctxArb = fc.record({
  tenant: fc.constantFrom("t1", "t2", "t9"),
  roles: fc.subarray(["admin", "sre", "emergency", "viewer"]),
  targetRole: fc.constantFrom("production", "development", undefined),
  now: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2026-12-31T00:00:00Z"), noInvalidDate: true }),
});

/** Rebuild a value with every mapping's keys in a random order. */
function shuffleKeys(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    return Object.fromEntries(keys.map((k) => [k, shuffleKeys((v as Record<string, unknown>)[k], rnd)]));
  }
  return v;
}

describe("properties", () => {
  it("generated policies are valid", () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        expect(parsePolicy(stringify(p)).errors).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("a call no rule matches gets the default, reported as such", () => {
    fc.assert(
      fc.property(policyArb, argsArb, ctxArb, fc.stringMatching(/^zz\.[a-z]{1,8}$/), (p0, args, ctx, tool) => {
        // No rule names the tool: every pattern is about other namespaces (the catch-all `*` goes).
        const noStar = (m: string) => (m === "*" ? "net.*" : m);
        const p = { ...p0, rules: p0.rules.map((r) => ({ ...r, match: typeof r.match === "string" ? noStar(r.match) : r.match.map(noStar) })) };
        const d = evaluate({ tool, arguments: args }, compilePolicy(p), ctx);
        expect(d.decision).toBe(p.defaults!.decision);
        expect(d.rule).toBeNull();
        expect(d.matched_default).toBe(true);
        expect(d.trace).toEqual([{ kind: "default", decision: p.defaults!.decision, reason: expect.any(String) }]);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic, independent of YAML key order, and of whether a trace is built", () => {
    fc.assert(
      fc.property(policyArb, fc.integer(), fc.array(fc.record({ tool: toolArb, args: argsArb, ctx: ctxArb }), { minLength: 1, maxLength: 8 }), (p, seed, calls) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
        const a = parsePolicy(stringify(p));
        const b = parsePolicy(stringify(shuffleKeys(p, rnd)));
        expect(a.ok && b.ok).toBe(true);
        if (!a.ok || !b.ok) return;
        const ca = compilePolicy(a.policy);
        const cb = compilePolicy(b.policy);
        expect(cb.hash).toBe(ca.hash);
        for (const c of calls) {
          const call = { tool: c.tool, arguments: c.args };
          const d1 = evaluate(call, ca, c.ctx);
          const d2 = evaluate(call, cb, c.ctx);
          const d3 = evaluate(call, ca, c.ctx, { trace: false });
          expect(d2).toEqual(d1);
          expect(evaluate(call, ca, c.ctx)).toEqual(d1);
          expect({ ...d3, trace: undefined }).toEqual({ ...d1, trace: undefined });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("first match wins: the decision is the first rule, in YAML order, whose pattern and conditions hold", () => {
    fc.assert(
      fc.property(policyArb, toolArb, argsArb, ctxArb, (p, tool, args, ctx) => {
        const compiled = compilePolicy(p);
        const d = evaluate({ tool, arguments: args }, compiled, ctx);
        if (d.error) return;
        // Re-evaluate each rule alone: the first one that decides by itself must be the winner.
        const firstAlone = p.rules.findIndex((r) => {
          const solo = compilePolicy({ version: 1, defaults: { decision: "deny" }, rules: [r] });
          return evaluate({ tool, arguments: args }, solo, ctx, { trace: false }).rule === r.name;
        });
        expect(d.rule_index).toBe(firstAlone === -1 ? null : firstAlone);
      }),
      { numRuns: 300 },
    );
  });
});

describe("path jail properties", () => {
  const segArb = fc.constantFrom("sandbox", "tmp", "tmpevil", "out", "..", ".", "", "etc", "a", "tmp.", "..."); 
  const jail = "/sandbox/tmp";
  const policy = compilePolicy({
    version: 1,
    defaults: { decision: "deny" },
    rules: [{ name: "in-jail", match: "fs.write", where: { path_under: [jail] }, action: "allow" }],
  });

  it("normalization agrees with POSIX path resolution", () => {
    fc.assert(
      fc.property(fc.array(segArb, { maxLength: 10 }), (segs) => {
        const p = "/" + segs.join("/");
        expect(normalizeAbsolutePath(p)).toBe(posix.resolve(p));
      }),
      { numRuns: 1000 },
    );
  });

  it("a path that resolves outside the jail is never path_under it", () => {
    fc.assert(
      fc.property(fc.array(segArb, { maxLength: 10 }), fc.boolean(), (segs, fromJail) => {
        const p = (fromJail ? `${jail}/` : "/") + segs.join("/");
        const resolved = posix.resolve(p);
        const outside = !(resolved === jail || resolved.startsWith(`${jail}/`));
        const d = evaluate({ tool: "fs.write", arguments: { path: p } }, policy, { now }, { trace: false });
        if (outside) expect(d.decision).toBe("deny");
        else expect(d.decision).toBe("allow");
        expect(isUnder(normalizeAbsolutePath(p), jail)).toBe(!outside);
      }),
      { numRuns: 2000 },
    );
  });

  it("relative and non-string paths never pass", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string().filter((s) => !s.startsWith("/")), fc.integer(), fc.array(fc.integer(), { minLength: 1 }), fc.object()), (p) => {
        const d = evaluate({ tool: "fs.write", arguments: { path: p } }, policy, { now }, { trace: false });
        expect(d.decision).toBe("deny");
      }),
      { numRuns: 500 },
    );
  });
});

describe("validation never throws", () => {
  const valid = stringify({ version: 1, defaults: { decision: "deny" }, rules: [{ name: "a", match: "fs.*", where: { path_under: ["/x"], method: "GET" }, action: "allow" }] });
  const check = (text: unknown) => {
    const r = parsePolicy(text as string);
    if (!r.ok) {
      expect(r.errors.length).toBeGreaterThan(0);
      for (const e of r.errors) {
        expect(Number.isInteger(e.line) && Number.isInteger(e.column)).toBe(true);
        expect(typeof e.message).toBe("string");
        expect(typeof e.path).toBe("string");
      }
    }
  };
  it("on arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), check), { numRuns: 500 });
  });
  it("on arbitrary YAML documents", () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (v) => {
        let text: string;
        try {
          text = new Document(v).toString();
        } catch {
          return;
        }
        check(text);
      }),
      { numRuns: 1000 },
    );
  });
  it("on mutations of a valid policy", () => {
    fc.assert(
      fc.property(fc.nat(valid.length), fc.nat(8), fc.string({ maxLength: 6 }), (at, del, ins) => {
        check(valid.slice(0, at) + ins + valid.slice(at + del));
      }),
      { numRuns: 2000 },
    );
  });
  it("on non-string input", () => {
    fc.assert(fc.property(fc.anything(), (v) => check(typeof v === "string" ? 1 : v)), { numRuns: 200 });
  });
});
