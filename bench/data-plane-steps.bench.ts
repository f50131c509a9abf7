/**
 * Where the data plane's added latency goes (issue 14): the gateway runs in THIS process (the
 * same services and handler as `canopy gateway`) in front of the echo upstream, and one audited
 * tools/call at a time is sent at a low paced rate (no queueing: the figures are the path
 * itself). The pipeline's boundaries are timed by wrapping the services at their seams (token
 * check, limits, the durable decision record, the upstream call), and each call's time is split
 * between them. A direct call to the upstream is timed next to each gateway call.
 *
 *   DATABASE_URL=postgresql://… REDIS_URL=redis://… npx tsx bench/data-plane-steps.bench.ts
 *     [--calls=1000] [--gap-ms=5] [--runs=3] [--profile=FILE] [--gateway-port=3298] [--upstream-port=4698]
 *
 * Prints, per run, p50/p90/p99 of each step, then the median of the runs' p50 and p99 (the cores
 * are shared: absolute figures move with other people's work, so compare runs made together).
 * --profile writes a CPU profile of the measured calls (not of start-up) to FILE. Ends with one
 * JSON line.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { createTestDb } from "@/lib/db/testing";
import { env, resetEnvForTests } from "@/lib/env";
import { workMeter, type WorkCounts } from "./support/cpu";
import { pacedLegs } from "./support/paced-legs";
import { commitFloor } from "./support/postgres-floor";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const CALLS = Number(arg("calls") ?? 1000);
const GAP_MS = Number(arg("gap-ms") ?? 5);
const RUNS = Number(arg("runs") ?? 3);
const PROFILE = arg("profile");
const GATEWAY_PORT = Number(arg("gateway-port") ?? 3298);
const UPSTREAM_PORT = Number(arg("upstream-port") ?? 4698);
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const STEPS = [
  ["request → token check", "start", "auth.start"],
  ["token check", "auth.start", "auth.end"],
  ["body, JSON-RPC, facts, policy", "auth.end", "admit.start"],
  ["limits (Redis)", "admit.start", "admit.end"],
  ["limits → decision record", "admit.end", "audit.start"],
  ["decision record, durable (Postgres)", "audit.start", "audit.end"],
  ["record → upstream", "audit.end", "upstream.start"],
  ["upstream call", "upstream.start", "upstream.end"],
  ["upstream → answer received", "upstream.end", "end"],
] as const;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
}
const median = (xs: number[]) => pct(xs, 50);

async function main() {
  if (!env().DATABASE_URL || !env().REDIS_URL) {
    console.error("bench/data-plane-steps needs DATABASE_URL and REDIS_URL (what production runs)");
    process.exit(2);
  }
  const db = await createTestDb();
  const dir = mkdtempSync(path.join(tmpdir(), "canopy-dp-steps-"));
  writeFileSync(path.join(dir, "policy.yaml"), 'version: 1\ndefaults: { decision: deny }\nrules:\n  - name: bench echo\n    match: "bench.*"\n    action: allow\n    reason: benchmark\n');
  writeFileSync(path.join(dir, "upstreams.yaml"), `version: 1\nservers:\n  - name: bench\n    transport: http\n    url: http://127.0.0.1:${UPSTREAM_PORT}/mcp\n`);
  // The gateway in this process reads its configuration as `canopy gateway` would.
  Object.assign(process.env, {
    DATABASE_URL: db.url!,
    CANOPY_DATA_DIR: dir,
    POLICY_PATH: path.join(dir, "policy.yaml"),
    UPSTREAMS_PATH: path.join(dir, "upstreams.yaml"),
    LOG_LEVEL: "warn",
    CANOPY_ADMIN_PASSWORD: "bench-password-123",
    NODE_ENV: "production",
  });
  resetEnvForTests();
  const upstream = spawn(process.execPath, ["--import", "tsx", "bench/support/echo-upstream.ts", String(UPSTREAM_PORT)], { stdio: "ignore" });

  // The seams, timed: one call at a time, so the latest marks are this call's.
  const marks: Record<string, number> = {};
  const timed = <A extends unknown[], R>(label: (args: A) => string | null, fn: (...args: A) => Promise<R>) =>
    async function (this: unknown, ...args: A): Promise<R> {
      const l = label(args);
      if (l) marks[`${l}.start`] = performance.now();
      try {
        return await fn.apply(this, args);
      } finally {
        if (l) marks[`${l}.end`] = performance.now();
      }
    };
  const { AuditLog } = await import("@/lib/audit");
  const { QuotaService } = await import("@/lib/quota");
  const { PooledHttpClient } = await import("@/lib/mcp/upstreams/http-pool-client");
  AuditLog.prototype.append = timed((a) => (a[0].kind === "tool_decision" ? "audit" : null), AuditLog.prototype.append);
  QuotaService.prototype.admit = timed(() => "admit", QuotaService.prototype.admit);
  PooledHttpClient.prototype.request = timed((a) => (a[0] === "tools/call" ? "upstream" : null), PooledHttpClient.prototype.request);

  const { bootstrap } = await import("@/lib/bootstrap");
  const { services } = await import("@/lib/server");
  const { serveDataPlane } = await import("@/lib/data-plane/serve");
  const { mintToken } = await import("@/lib/auth/tokens");
  const svc = services();
  await bootstrap(svc);
  await svc.start();
  svc.auth.principalFromBearer = timed(() => "auth", svc.auth.principalFromBearer);
  const { close } = await serveDataPlane({ port: GATEWAY_PORT, host: "127.0.0.1" });
  const gw = new Pool(`http://127.0.0.1:${GATEWAY_PORT}`, { connections: 4 });
  const direct = new Pool(`http://127.0.0.1:${UPSTREAM_PORT}`, { connections: 4 });
  try {
    const secrets = JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8"));
    const { token } = await mintToken(
      { tenant: "demo-tenant", subject: "bench-agent", roles: ["agent"], ttlSeconds: 3600, now: Math.floor(Date.now() / 1000) },
      { privateKeyPem: secrets.jwtPrivateKeyPem, publicKeyPem: secrets.jwtPublicKeyPem, issuer: "canopyiq", audience: "canopyiq-api" },
    );
    let id = 0;
    const call = async (pool: Pool, headers: Record<string, string>, tool: string) => {
      const n = ++id;
      const r = await pool.request({
        method: "POST",
        path: "/mcp",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18", ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: n, method: "tools/call", params: { name: tool, arguments: { message: `m${n}` } } }),
      });
      const text = await r.body.text();
      if (r.statusCode !== 200 || !text.includes(`m${n}`)) throw new Error(`${tool}: HTTP ${r.statusCode} ${text.slice(0, 300)}`);
    };
    const viaGateway = () => call(gw, { authorization: `Bearer ${token}` }, "bench.echo");
    const viaDirect = () => call(direct, {}, "echo");
    for (let waited = 0; ; waited++) {
      try {
        await viaDirect();
        break;
      } catch (err) {
        if (waited > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (let i = 0; i < 300; i++) {
      await viaGateway(); // JIT, pools, caches
      await viaDirect();
    }

    const runs: { steps: Record<string, { p50: number; p90: number; p99: number }>; direct: { p50: number; p99: number }; added: { p50: number; p99: number }; load: number[]; work: WorkCounts }[] = [];
    const session = PROFILE ? new Session() : null;
    if (session) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    for (let run = 0; run < RUNS; run++) {
      const seg: Record<string, number[]> = { total: [] };
      const directMs: number[] = [];
      // Load-independent beside the timings: Postgres commits, CPU of this process (gateway and
      // client) and of the Postgres backends, per gateway call (the direct calls included in CPU).
      const meter = await workMeter(db.sql);
      for (let i = 0; i < CALLS; i++) {
        const d0 = performance.now();
        await viaDirect();
        directMs.push(performance.now() - d0);
        for (const k of Object.keys(marks)) delete marks[k];
        marks.start = performance.now();
        await viaGateway();
        marks.end = performance.now();
        seg.total.push(marks.end - marks.start);
        for (const [name, from, to] of STEPS) (seg[name] ??= []).push(marks[to] - marks[from]);
        await new Promise((r) => setTimeout(r, GAP_MS));
      }
      const steps = Object.fromEntries(Object.entries(seg).map(([k, v]) => [k, { p50: r3(pct(v, 50)), p90: r3(pct(v, 90)), p99: r3(pct(v, 99)) }]));
      const load = loadavg().map(r3);
      const work = await meter(CALLS);
      const d = { p50: r3(pct(directMs, 50)), p99: r3(pct(directMs, 99)) };
      runs.push({ steps, direct: d, added: { p50: r3(steps.total.p50 - d.p50), p99: r3(steps.total.p99 - d.p99) }, load, work });
      console.log(`run ${run + 1}: ${CALLS} calls, one at a time, ${GAP_MS} ms apart (load ${runs.at(-1)!.load.join(" ")})`);
      for (const [k, v] of Object.entries(steps)) console.log(`  ${k.padEnd(38)} p50 ${v.p50.toFixed(3)}  p90 ${v.p90.toFixed(3)}  p99 ${v.p99.toFixed(3)} ms`);
      console.log(`  direct to the upstream                 p50 ${d.p50.toFixed(3)}  p99 ${d.p99.toFixed(3)} ms`);
      console.log(`  added by the gateway                   p50 ${runs.at(-1)!.added.p50.toFixed(3)}  p99 ${runs.at(-1)!.added.p99.toFixed(3)} ms`);
      console.log(`  per call: ${work.pg_commits} Postgres commits, CPU ${work.cpu_us.this_process} µs this process + ${work.cpu_us.postgres} µs Postgres`);
    }
    if (session) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(PROFILE!, JSON.stringify(profile));
      console.log(`CPU profile of the measured calls: ${PROFILE}`);
    }
    const medianOf = (f: (r: (typeof runs)[number]) => number) => r3(median(runs.map(f)));
    const summary = Object.fromEntries(["total", ...STEPS.map((s) => s[0])].map((k) => [k, { p50: medianOf((r) => r.steps[k].p50), p99: medianOf((r) => r.steps[k].p99) }]));
    const added = { p50: medianOf((r) => r.added.p50), p99: medianOf((r) => r.added.p99) };
    console.log(`median of ${RUNS} runs: added p50 ${added.p50} ms, p99 ${added.p99} ms (targets: p50 ≤ 1 ms, p99 ≤ 5 ms)`);
    // What no gateway code can go under at this pace: the round trips an audited call adds to a
    // direct one (one more HTTP leg, one Redis round trip, one durable commit), each timed bare.
    const commit = await commitFloor((fn) => db.sql.session(fn), GAP_MS);
    const legs = await pacedLegs(env().REDIS_URL!, GAP_MS);
    const floor = { ...legs, durable_insert_p50_ms: commit.paced_insert_autocommit_p50_ms, sum_p50_ms: r3(legs.http_leg_p50_ms + legs.redis_ping_p50_ms + commit.paced_insert_autocommit_p50_ms) };
    console.log(
      `floor at this pace (one every ${GAP_MS} ms, bare): HTTP leg p50 ${floor.http_leg_p50_ms} ms + Redis PING p50 ${floor.redis_ping_p50_ms} ms + durable one-row INSERT p50 ${floor.durable_insert_p50_ms} ms = ${floor.sum_p50_ms} ms ` +
        `(back to back: INSERT p50 ${commit.insert_autocommit_p50_ms} ms, SELECT 1 p50 ${commit.select_p50_ms} ms; paced SELECT 1 p50 ${commit.paced_select_p50_ms} ms)`,
    );
    console.log(JSON.stringify({ bench: "data-plane-steps", calls_per_run: CALLS, gap_ms: GAP_MS, runs, median: { steps: summary, added }, floor, commit_floor: commit }));
  } finally {
    await gw.close();
    await direct.close();
    await close();
    upstream.kill();
    await svc.close().catch(() => {});
    await db.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
