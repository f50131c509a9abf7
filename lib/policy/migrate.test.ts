import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { parse } from "yaml";
import { compilePolicy, detectFormat, evaluate, migratePolicy, parsePolicy, type CompiledPolicy } from "./index";

const examples = join(__dirname, "../../policies/examples");
const read = (f: string) => readFileSync(join(examples, f), "utf8");
const now = new Date("2025-10-15T10:00:00Z"); // a Wednesday

function migrated(text: string, opts?: Parameters<typeof migratePolicy>[1]): CompiledPolicy {
  const m = migratePolicy(text, opts);
  expect(m.errors).toEqual([]);
  // The emitted YAML itself must pass validation and compile to the same policy.
  const again = parsePolicy(m.yaml);
  expect(again.errors).toEqual([]);
  expect(again.ok && again.policy).toEqual(m.policy);
  return compilePolicy(m.policy!);
}

const aegisCall = (tool: string, amount_cents?: number, op?: string) => ({
  tool,
  arguments: { ...(amount_cents !== undefined ? { amount_cents } : {}), ...(op !== undefined ? { op } : {}) },
});
const outcome = (d: { decision: string }) => d.decision;

/* Reference semantics, transcribed from AegisMCP's engines, to check the importers against. */
function fnmatch(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(name);
}
function aegisV1(p: Record<string, unknown>, tool: string, amount?: number, op?: string): string {
  for (const pat of (p.deny_tools as string[]) ?? []) if (fnmatch(tool, pat)) return "deny";
  if (!((p.allow_tools as string[]) ?? ["*"]).some((pat) => fnmatch(tool, pat))) return "approval";
  const cap = op === "refund" ? (p.max_refund_cents as number) ?? 0 : op === "payment_link_create" ? (p.max_payment_link_cents as number) ?? 0 : null;
  if (cap !== null && cap > 0) {
    if (amount === undefined) return "approval";
    if (amount > cap) return "approval";
  }
  return "allow";
}
function aegisV2(p: { rules: { match: string; decision: string; cap_cents?: number; ops?: string[] }[] }, tool: string, amount?: number, op?: string): string {
  for (const r of p.rules) {
    if (!fnmatch(tool, r.match)) continue;
    if (r.ops && !(op !== undefined && r.ops.includes(op))) continue; // DSL: ops filters the rule
    if (r.decision === "deny") return "deny";
    if (r.decision === "review") return "approval";
    if (r.cap_cents !== undefined && amount !== undefined && amount > r.cap_cents) return "approval";
    return "allow";
  }
  return "approval";
}

const tools = ["refunds.refund", "refunds.void", "payment_links.create", "users.export", "admin.reset_db", "misc.tool"];
const callArb = fc.record({
  tool: fc.constantFrom(...tools),
  amount: fc.option(fc.integer({ min: 0, max: 40000 }), { nil: undefined }),
  op: fc.option(fc.constantFrom("refund", "payment_link_create", "other"), { nil: undefined }),
});

describe("AegisMCP v1 importer", () => {
  const text = read("aegis-v1.yaml");
  const compiled = migrated(text);
  it("is detected", () => expect(detectFormat(parse(text))).toBe("aegis-v1"));
  test.each([
    ["refund under cap is allowed", aegisCall("refunds.refund", 12000, "refund"), "allow"],
    ["refund over cap needs approval", aegisCall("refunds.refund", 20000, "refund"), "approval"],
    ["payment link over cap needs approval", aegisCall("payment_links.create", 30000, "payment_link_create"), "approval"],
    ["tool not in the allow list needs approval", aegisCall("users.export"), "approval"],
    ["missing amount for a capped op needs approval", aegisCall("refunds.refund", undefined, "refund"), "approval"],
  ] as const)("%s", (_l, call, expected) => {
    expect(outcome(evaluate(call, compiled, { now }))).toBe(expected);
  });
  it("deny_tools is a hard block", () => {
    const c = migrated("allow_tools: ['*']\ndeny_tools: ['admin.*']\nmax_refund_cents: 10000000\nmax_payment_link_cents: 10000000\n");
    expect(outcome(evaluate(aegisCall("admin.reset_db"), c, { now }))).toBe("deny");
  });
  it("decides every call as the v1 guard does (property)", () => {
    const src = parse(text) as Record<string, unknown>;
    fc.assert(
      fc.property(callArb, ({ tool, amount, op }) => {
        expect(outcome(evaluate(aegisCall(tool, amount, op), compiled, { now }))).toBe(aegisV1(src, tool, amount, op));
      }),
      { numRuns: 500 },
    );
  });
});

describe("AegisMCP v2 importer", () => {
  const text = read("aegis-v2.yaml");
  const compiled = migrated(text);
  it("is detected", () => expect(detectFormat(parse(text))).toBe("aegis-v2"));
  test.each([
    ["refund under cap is allowed", aegisCall("refunds.refund", 12000, "refund"), "allow"],
    ["refund over cap is escalated to review", aegisCall("refunds.refund", 20000, "refund"), "approval"],
    ["payment link under cap", aegisCall("payment_links.create", 20000), "allow"],
    ["payment link over cap", aegisCall("payment_links.create", 30000), "approval"],
    ["users.export is denied without approval", aegisCall("users.export"), "deny"],
    ["fallback review", aegisCall("admin.nuke"), "approval"],
  ] as const)("%s", (_l, call, expected) => {
    expect(outcome(evaluate(call, compiled, { now }))).toBe(expected);
  });
  it("maps review to approval and keeps the reasons", () => {
    const d = evaluate(aegisCall("users.export"), compiled, { now });
    expect(d.reason).toBe("User export forbidden");
  });
  it("decides every call as the v2 DSL does (property)", () => {
    const src = parse(text) as Parameters<typeof aegisV2>[0];
    fc.assert(
      fc.property(callArb, ({ tool, amount, op }) => {
        expect(outcome(evaluate(aegisCall(tool, amount, op), compiled, { now }))).toBe(aegisV2(src, tool, amount, op));
      }),
      { numRuns: 500 },
    );
  });
  it("reports an invalid decision instead of throwing", () => {
    const m = migratePolicy("version: 2\nrules:\n  - match: 'refunds.*'\n    decision: approve\n");
    expect(m.ok).toBe(false);
    expect(m.errors[0].message).toMatch(/unknown decision "approve"; expected allow, review or deny/);
  });
});

describe("TailOps v2 importer", () => {
  const text = read("tailops-v2.yaml");
  const compiled = migrated(text);
  const sat = new Date("2025-10-18T10:00:00Z");
  const call = (tool: string, args: Record<string, unknown> = {}) => ({ tool, arguments: args });
  it("is detected, with notes for what has no equivalent", () => {
    expect(detectFormat(parse(text))).toBe("tailops-v2");
    const m = migratePolicy(text);
    expect(m.warnings.join("\n")).toMatch(/allowlist_source/);
    expect(m.yaml).toMatch(/^# Migrated from TailOps v2/);
  });
  test.each([
    ["seed simulate: container_delete on development", call("container_delete", { container_name: "test-container", force: false }), { targetRole: "development" }, now, "allow"],
    ["container_delete on production is denied", call("container_delete", { container_name: "web" }), { targetRole: "production" }, now, "deny"],
    ["container with a non-bool force fails constraints", call("container_delete", { container_name: "x", force: "yes" }), { targetRole: "development" }, now, "deny"],
    ["seed execute: restart nginx on production in hours", call("service_restart", { service_name: "nginx", timeout: 60 }), { targetRole: "production" }, now, "approval"],
    ["restart on production on Saturday (time restriction)", call("service_restart", { service_name: "nginx" }), { targetRole: "production" }, sat, "deny"],
    ["restart on production with an injected name (parameter constraints)", call("service_restart", { service_name: "nginx; rm -rf /" }), { targetRole: "production" }, now, "deny"],
    ["restart on production, timeout over max", call("service_restart", { service_name: "nginx", timeout: 301 }), { targetRole: "production" }, now, "deny"],
    ["emergency role overrides the time restriction", call("service_restart", { service_name: "nginx" }), { targetRole: "production", roles: ["emergency"] }, sat, "allow"],
    ["restart on staging (global policy)", call("service_restart", { service_name: "nginx" }), { targetRole: "staging" }, sat, "allow"],
    ["restart on staging without a service name", call("service_restart", {}), { targetRole: "staging" }, now, "deny"],
    ["restart on an unlisted role", call("service_restart", { service_name: "nginx" }), { targetRole: "maintenance" }, now, "deny"],
    ["status checks anywhere", call("service_status", { service_name: "nginx" }), {}, now, "allow"],
    ["package changes are forbidden", call("package_install", { name: "curl" }), { targetRole: "development" }, now, "deny"],
    ["deny by default", call("file_delete", { path: "/tmp/x" }), { targetRole: "development" }, now, "deny"],
  ] as const)("%s", (_l, c, ctx, at, expected) => {
    expect(outcome(evaluate(c, compiled, { ...ctx, now: at }))).toBe(expected);
  });
  it("deny_by_default: false → allow, and a tool prefix and emergency role can be chosen", () => {
    const c = migrated(
      "deny_by_default: false\nemergency_policies:\n  - name: x\n    operations: [service_stop]\n    allowed: true\n",
      { toolPrefix: "ops.", emergencyRole: "break-glass" },
    );
    expect(outcome(evaluate(call("anything"), c, { now }))).toBe("allow");
    const d = evaluate(call("ops.service_stop"), c, { now, roles: ["break-glass"] });
    expect(d.rule).toBe("emergency: x");
  });
  it("disabled TailOps rules stay disabled", () => {
    const c = migrated("policies:\n  deny_by_default: true\n  global_policies:\n    - name: off\n      enabled: false\n      operations: [a]\n      allowed: true\n");
    expect(outcome(evaluate(call("a"), c, { now }))).toBe("deny");
  });
});

describe("migratePolicy", () => {
  it("normalizes canonical input", () => {
    const m = migratePolicy("rules: []\nversion: 1\n");
    expect(m.ok).toBe(true);
    expect(m.format).toBe("canonical");
    expect(m.yaml.indexOf("version")).toBeLessThan(m.yaml.indexOf("rules"));
  });
  it.each([["garbage", ": : :"], ["unknown shape", "hello: world\n"], ["not yaml", "a: [\n"]])("returns errors for %s", (_l, text) => {
    const m = migratePolicy(text);
    expect(m.ok).toBe(false);
    expect(m.errors.length).toBeGreaterThan(0);
  });
});
