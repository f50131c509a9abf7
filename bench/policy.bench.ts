/**
 * Policy engine benchmark: policies of 10, 100, 1,000 and 10,000 rules over a realistic mix of
 * calls (seed tools and synthetic services; exact and glob rules with host, method, path,
 * cost, amount, argument and context conditions; calls that fall through to the default).
 * Prints p50/p99 per decision (µs), decisions/s and compile time; the last line is JSON.
 * Per-decision latency is a batch's time divided by its size (hrtime resolution and call
 * overhead would otherwise dominate sub-microsecond timings).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { compilePolicy, evaluate, parsePolicy, type Policy, type Rule, type ToolCall, type EvalContext } from "../lib/policy";

const SIZES = [10, 100, 1_000, 10_000];
const BATCH = 64;
const BATCHES = 3_000;

const samples = (() => {
  const r = parsePolicy(readFileSync(fileURLToPath(new URL("../policies/samples.yaml", import.meta.url)), "utf8"));
  if (!r.ok) throw new Error("samples.yaml is invalid");
  return r.policy;
})();

/** Deterministic pseudo-random numbers, so every run measures the same policies and calls. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function syntheticRules(n: number, rnd: () => number): Rule[] {
  const services = Math.max(1, Math.ceil(n / 10));
  const rules: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const svc = `svc${Math.floor(rnd() * services)}`;
    const op = `op${Math.floor(rnd() * 5)}`;
    const kind = rnd();
    const action = (["allow", "deny", "approval"] as const)[Math.floor(rnd() * 3)];
    const base = { name: `rule-${i}`, action, ...(action === "approval" ? { required_approvals: 1 + Math.floor(rnd() * 2) } : {}) };
    if (kind < 0.35) rules.push({ ...base, match: `${svc}.${op}`, where: { method: rnd() < 0.5 ? "GET" : ["POST", "PUT"], host_in: [`api${i % 7}.internal.com`, "*.corp.example"] } });
    else if (kind < 0.55) rules.push({ ...base, match: `${svc}.${op}`, where: { path_not_under: ["/sandbox/tmp", `/data/${svc}`] } });
    else if (kind < 0.7) rules.push({ ...base, match: `${svc}.*`, where: { estimated_cost_usd_over: Math.floor(rnd() * 100) } });
    else if (kind < 0.8) rules.push({ ...base, match: `${svc}.${op}`, where: { ops: ["refund"], amount_cents_over: 1000 * Math.floor(rnd() * 30) } });
    else if (kind < 0.9) rules.push({ ...base, match: `${svc}.${op}`, where: { roles_any: ["admin", "sre"], tenant_in: [`t${i % 5}`] } });
    else rules.push({ ...base, match: [`${svc}.${op}`, `${svc}.${op}x`], where: { args: { "options.force": { equals: true } } } });
  }
  return rules;
}

function buildPolicy(size: number): Policy {
  const rnd = rng(size);
  const keep = Math.min(samples.rules.length, Math.max(0, size - Math.floor(size / 2)));
  const seedRules = samples.rules.slice(0, keep);
  return { version: 1, defaults: { decision: "deny" }, facts: samples.facts, rules: [...syntheticRules(size - seedRules.length, rnd), ...seedRules] };
}

function buildCalls(size: number, count: number): { call: ToolCall; ctx: EvalContext }[] {
  const rnd = rng(size * 7 + 1);
  const services = Math.max(1, Math.ceil(size / 10));
  const now = new Date("2025-10-15T10:00:00Z");
  const seedCalls: ToolCall[] = [
    { tool: "fs.write", arguments: { path: "/etc/hosts", content: "malicious" } },
    { tool: "fs.write", arguments: { path: "/sandbox/tmp/a/../b.txt", content: "ok" } },
    { tool: "fs.read", arguments: { path: "/sandbox/data/x.csv" } },
    { tool: "net.http", arguments: { method: "GET", url: "https://api.internal.com/v1/users" } },
    { tool: "net.http", arguments: { method: "POST", url: "https://example.org/", body: "{\"a\":1}" } },
    { tool: "cloud.ops", arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 } },
    { tool: "cloud.estimate", arguments: { provider: "aws", action: "ec2.run_instances", units: 10 } },
    { tool: "refunds.refund", arguments: { amount_cents: 12000, op: "refund" } },
    { tool: "users.export", arguments: {} },
    { tool: "shell.exec", arguments: { cmd: "id" } },
  ];
  const out: { call: ToolCall; ctx: EvalContext }[] = [];
  for (let i = 0; i < count; i++) {
    const ctx: EvalContext = { tenant: `t${i % 5}`, subject: `agent-${i % 11}`, roles: i % 3 === 0 ? ["admin"] : ["viewer"], now };
    if (rnd() < 0.4) {
      out.push({ call: seedCalls[i % seedCalls.length], ctx });
      continue;
    }
    const svc = `svc${Math.floor(rnd() * services)}`;
    const op = `op${Math.floor(rnd() * 6)}`; // op5 has no exact rules: only globs or the default
    out.push({
      call: {
        tool: `${svc}.${op}`,
        arguments: {
          method: rnd() < 0.5 ? "GET" : "POST",
          url: rnd() < 0.5 ? "https://api3.internal.com/x" : "https://x.corp.example/y",
          path: rnd() < 0.5 ? "/sandbox/tmp/f" : `/data/${svc}/../../etc/passwd`,
          estimated_cost_usd: Math.floor(rnd() * 120),
          amount_cents: Math.floor(rnd() * 30000),
          op: "refund",
          options: { force: rnd() < 0.3 },
        },
      },
      ctx,
    });
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Figures {
  rules: number;
  parse_ms: number;
  compile_ms: number;
  p50_us: number;
  p99_us: number;
  decisions_per_s: number;
  traced_p50_us: number;
}

function measure(size: number): Figures {
  const policy = buildPolicy(size);
  const yaml = stringify(policy);
  let t = process.hrtime.bigint();
  const parsed = parsePolicy(yaml);
  const parseMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (!parsed.ok) throw new Error(`generated policy invalid: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
  t = process.hrtime.bigint();
  const compiled = compilePolicy(parsed.policy);
  const compileMs = Number(process.hrtime.bigint() - t) / 1e6;

  const calls = buildCalls(size, 4096);
  const run = (trace: boolean, batches: number) => {
    const samplesUs: number[] = [];
    let sink = 0;
    let k = 0;
    let total = 0n;
    for (let b = 0; b < batches; b++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) {
        const c = calls[k];
        k = (k + 1) & 4095;
        const d = evaluate(c.call, compiled, c.ctx, { trace });
        sink += d.decision.length;
      }
      const dt = process.hrtime.bigint() - start;
      total += dt;
      samplesUs.push(Number(dt) / 1e3 / BATCH);
    }
    if (sink === 0) throw new Error("unreachable");
    samplesUs.sort((a, b) => a - b);
    return { p50: percentile(samplesUs, 50), p99: percentile(samplesUs, 99), perSecond: (batches * BATCH) / (Number(total) / 1e9) };
  };
  run(false, 500); // warm-up: JIT and the per-tool candidate cache
  const fast = run(false, BATCHES);
  run(true, 200);
  const traced = run(true, 1000);
  return {
    rules: size,
    parse_ms: round(parseMs),
    compile_ms: round(compileMs),
    p50_us: round(fast.p50, 3),
    p99_us: round(fast.p99, 3),
    decisions_per_s: Math.round(fast.perSecond),
    traced_p50_us: round(traced.p50, 3),
  };
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const results: Figures[] = [];
console.log(`policy engine benchmark (node ${process.version}; ${BATCHES} batches of ${BATCH} decisions per size, trace off; traced p50 for the API path)`);
console.log("rules    parse ms  compile ms  p50 µs   p99 µs   decisions/s  traced p50 µs");
for (const size of SIZES) {
  const f = measure(size);
  results.push(f);
  console.log(
    `${String(f.rules).padEnd(8)} ${String(f.parse_ms).padStart(8)}  ${String(f.compile_ms).padStart(10)}  ${String(f.p50_us).padStart(6)}  ${String(f.p99_us).padStart(7)}  ${String(f.decisions_per_s).padStart(11)}  ${String(f.traced_p50_us).padStart(13)}`,
  );
}
const at1000 = results.find((r) => r.rules === 1000)!;
const target = { p50_us: 2, p99_us: 10 };
const met = at1000.p50_us <= target.p50_us && at1000.p99_us <= target.p99_us;
console.log(`target at 1,000 rules: p50 ≤ ${target.p50_us} µs, p99 ≤ ${target.p99_us} µs — ${met ? "met" : "NOT met"}`);
console.log(JSON.stringify({ bench: "policy", node: process.version, batch: BATCH, results, target_1000: { ...target, met } }));
