import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { compilePolicy, evaluate, loadPolicy, simulate, type EvalContext, type Policy } from "./index";
import { compileHostPatterns, hostFromValue } from "./hosts";
import { getAt, parseArgPath } from "./json-path";
import { compileGlob } from "./glob";
import { utf8ByteLength } from "./utf8";
import { durationSeconds, isDuration } from "./duration";

const now = new Date("2025-10-15T10:00:00Z");
const must = (text: string) => {
  const r = loadPolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.compiled;
};

describe("cost facts", () => {
  const p = must(`version: 1
rules:
  - { name: costly, match: "cloud.*", where: { estimated_cost_usd_over: 10 }, action: approval }
  - { name: cheap, match: "cloud.*", action: allow }
`);
  const call = { tool: "cloud.ops", arguments: { provider: "aws" } };
  it("uses an injected estimator", () => {
    expect(evaluate(call, p, { now, estimateCost: () => 12 }).rule).toBe("costly");
    expect(evaluate(call, p, { now, estimateCost: () => 2 }).rule).toBe("cheap");
  });
  it("takes the largest known estimate, so a caller cannot talk its cost down", () => {
    const lowball = { tool: "cloud.ops", arguments: { estimated_cost_usd: 1 } };
    expect(evaluate(lowball, p, { now, estimateCost: () => 50 }).rule).toBe("costly");
  });
  it("fails closed when the estimator returns garbage or throws", () => {
    expect(evaluate(call, p, { now, estimateCost: () => NaN }).error).toMatch(/cost estimator/);
    const d = evaluate(call, p, { now, estimateCost: () => { throw new Error("catalog down"); } });
    expect(d).toMatchObject({ decision: "deny", error: "the call's cost cannot be estimated: catalog down" });
  });
});

describe("approvals and time", () => {
  const p = must(`version: 1
defaults: { decision: approval, approver_group: ops, expires_in: 45m, required_approvals: 3 }
rules:
  - { name: short, match: a, action: approval, expires_in: 90s }
  - { name: window, match: b, where: { time_window: { start: "09:00", end: "17:00" } }, action: allow }
`);
  it("sets expiry from now and the rule's expires_in", () => {
    expect(evaluate({ tool: "a" }, p, { now })).toMatchObject({ expires_in_seconds: 90, expires_at: "2025-10-15T10:01:30.000Z", required_approvals: 1 });
  });
  it("the default can be an approval with its own fields", () => {
    expect(evaluate({ tool: "zzz" }, p, { now })).toMatchObject({
      decision: "approval", rule: null, matched_default: true, required_approvals: 3, approver_group: "ops", expires_at: "2025-10-15T10:45:00.000Z",
    });
  });
  it("fails closed without a usable clock", () => {
    const bad = { now: new Date("nope") } as EvalContext;
    expect(evaluate({ tool: "a" }, p, bad)).toMatchObject({ decision: "deny", error: expect.stringMatching(/now/) });
    expect(evaluate({ tool: "b" }, p, {} as EvalContext)).toMatchObject({ decision: "deny", error: expect.stringMatching(/now/) });
  });
  it("simulate rejects a missing or invalid instant and a malformed call", () => {
    expect(simulate({ policy: p, call: { tool: "a" }, context: { now: new Date("x") } }).errors[0].path).toBe("at");
    const r = simulate({ policy: p, call: { tool: 5, arguments: [] }, context: { now } });
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.path)).toEqual(["call.tool", "call.arguments"]);
    expect(simulate({ policy: "version: 1\nrules: [", call: { tool: "a" }, context: { now } }).errors[0].line).toBeGreaterThan(0);
  });
});

describe("trace", () => {
  const p = must(`version: 1
rules:
  - name: two-conditions
    match: net.http
    where: { method: POST, host_in: [a.com] }
    action: deny
  - name: nested
    match: "net.*"
    where:
      not: { tenant_in: [blocked] }
      any: [{ roles_any: [admin] }, { subject_in: [alice] }]
    action: allow
`);
  it("lists each rule considered with each condition's expected, actual and held", () => {
    const d = evaluate({ tool: "net.http", arguments: { method: "get", url: "https://a.com" } }, p, { now, tenant: "t", subject: "alice" });
    expect(d.decision).toBe("allow");
    expect(d.trace![0]).toEqual({
      kind: "rule", index: 0, name: "two-conditions", action: "deny", pattern: "net.http", matched: false,
      conditions: [
        { condition: "method", expected: ["POST"], actual: "GET", held: false },
        { condition: "host_in", expected: ["a.com"], actual: null, held: null },
      ],
    });
    expect(d.trace![1]).toMatchObject({
      kind: "rule", name: "nested", pattern: "net.*", matched: true,
      conditions: [
        { condition: "not", held: true, children: [{ condition: "tenant_in", expected: ["blocked"], actual: "t", held: false }] },
        {
          condition: "any", held: true,
          children: [
            { condition: "any[0]", held: false, children: [{ condition: "roles_any", actual: [], held: false }] },
            { condition: "any[1]", held: true, children: [{ condition: "subject_in", actual: "alice", held: true }] },
          ],
        },
      ],
    });
  });
  it("records the failing condition and the error when evaluation fails", () => {
    const d = evaluate({ tool: "net.http", arguments: { method: "POST", url: 7 } }, p, { now });
    expect(d.decision).toBe("deny");
    expect(d.trace![0]).toMatchObject({ conditions: [{ condition: "method", held: true }, { condition: "host_in", held: null, actual: expect.stringMatching(/^error: /) }] });
    expect(d.trace![1]).toMatchObject({ kind: "error", rule: "two-conditions", index: 0 });
  });
});

describe("compile", () => {
  const policy: Policy = {
    version: 1,
    rules: [
      { name: "g1", match: "x.*", where: { tenant_in: ["a"] }, action: "deny" },
      { name: "e1", match: "x.y", where: { tenant_in: ["b"] }, action: "approval" },
      { name: "g2", match: ["x.?", "x.y"], action: "allow" },
      { name: "off", enabled: false, match: "x.y", action: "deny" },
    ],
  };
  it("merges exact and glob rules back into policy order, once each", () => {
    const c = compilePolicy(policy);
    expect(c.candidates("x.y").map((k) => [k.rule.name, k.pattern])).toEqual([["g1", "x.*"], ["e1", "x.y"], ["g2", "x.y"]]);
    expect(c.candidates("x.z").map((k) => k.rule.name)).toEqual(["g1", "g2"]);
    expect(evaluate({ tool: "x.y" }, c, { now, tenant: "b" }).rule).toBe("e1");
    expect(evaluate({ tool: "x.y" }, c, { now, tenant: "c" }).rule).toBe("g2");
  });
  it("labels decisions with the version and a content hash; the default denies when unset", () => {
    const c = compilePolicy(policy, { version: "v42" });
    const d = evaluate({ tool: "nope" }, c, { now });
    expect(d).toMatchObject({ decision: "deny", policy_version: "v42", matched_default: true });
    expect(d.policy_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(compilePolicy(policy).version).toBe(`sha256:${d.policy_hash.slice(0, 12)}`);
  });
  it("compile-option facts and the policy's own add up, on top of the defaults", () => {
    const p: Policy = { version: 1, facts: { "w.b": { host: "b" } }, rules: [{ name: "h", match: "w.*", where: { host_in: ["ok.io"] }, action: "allow" }] };
    const c = compilePolicy(p, { facts: { "w.*": { host: "a" } } });
    expect(evaluate({ tool: "w.a", arguments: { a: "ok.io" } }, c, { now }).decision).toBe("allow");
    expect(evaluate({ tool: "w.a", arguments: { b: "ok.io" } }, c, { now }).decision).toBe("deny");
    expect(evaluate({ tool: "w.b", arguments: { a: "ok.io" } }, c, { now }).decision).toBe("allow");
    expect(evaluate({ tool: "w.b", arguments: { b: "ok.io" } }, c, { now }).decision).toBe("allow");
    expect(evaluate({ tool: "w.b", arguments: { a: "ok.io", b: "ok.io", url: "https://OK.io/x" } }, c, { now }).decision).toBe("allow");
    const conflict = evaluate({ tool: "w.b", arguments: { a: "ok.io", url: "https://evil.io/" } }, c, { now });
    expect(conflict).toMatchObject({ decision: "deny", error: "conflicting hosts: argument `url` names evil.io but `a` names ok.io; a call must name one destination host" });
  });
});

describe("helpers", () => {
  test.each([
    ["https://API.Example.com./x", "api.example.com"],
    ["api.example.com:8443", "api.example.com"],
    ["http://user:pw@good.com@evil.com/", "evil.com"],
    ["http://[::1]:8080/", "[::1]"],
    ["https://xn--bcher-kva.example/", "xn--bcher-kva.example"],
    ["https://bücher.example/", "xn--bcher-kva.example"],
  ])("hostFromValue(%s) = %s", (input, host) => expect(hostFromValue(input)).toBe(host));

  it("host patterns: exact, *.suffix (subdomains only), *", () => {
    const t = compileHostPatterns(["a.com", "*.b.com", "C.com."]);
    expect([t("a.com"), t("x.b.com"), t("b.com"), t("xb.com"), t("c.com"), t("a.com.evil")]).toEqual([true, true, false, false, true, false]);
    expect(compileHostPatterns(["*"])("anything")).toBe(true);
  });

  it("argument paths", () => {
    expect(parseArgPath("$.a.b[2].c")).toEqual(["a", "b", 2, "c"]);
    expect(parseArgPath('a["x.y"]')).toEqual(["a", "x.y"]);
    expect(parseArgPath("a..b")).toBeNull();
    expect(parseArgPath("a[")).toBeNull();
    expect(getAt({ a: { b: [0, 1, { c: 5 }] } }, ["a", "b", 2, "c"])).toBe(5);
    expect(getAt({}, ["constructor"])).toBeUndefined();
    expect(getAt({ a: [1] }, ["a", "length"])).toBeUndefined();
  });

  it("globs", () => {
    expect(compileGlob("fs.*")("fs.read")).toBe(true);
    expect(compileGlob("fs.*")("fsx.read")).toBe(false);
    expect(compileGlob("*.export")("users.export")).toBe(true);
    expect(compileGlob("a?c")("abc")).toBe(true);
    expect(compileGlob("a+c")("aac")).toBe(false);
  });

  it("utf8ByteLength agrees with Buffer.byteLength", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8ByteLength(s) === Buffer.byteLength(s, "utf8")), { numRuns: 1000 });
    expect(utf8ByteLength("\ud800x")).toBe(Buffer.byteLength("\ud800x"));
  });

  it("durations", () => {
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("2d")).toBe(172800);
    expect(durationSeconds(undefined)).toBe(3600);
    expect(isDuration("")).toBe(false);
    expect(isDuration("0s")).toBe(false);
    expect(isDuration("1 hour")).toBe(false);
  });
});
