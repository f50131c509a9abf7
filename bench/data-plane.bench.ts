/**
 * The MCP data plane (issue 14): `canopy gateway` (node:http, no Next) in front of a Streamable
 * HTTP upstream, real Postgres and Redis, every call audited durably before it is forwarded.
 * Direct and gateway calls use the same client: one undici Pool per target, the same number of
 * connections and calls in flight.
 *
 *   DATABASE_URL=postgresql://… REDIS_URL=redis://… npx tsx bench/data-plane.bench.ts [--seconds=5]
 *     [--steps=saturation,latency,ping,overload] [--profile=DIR] [--soak[=SECONDS]]
 *
 * Prints: audited tools/call calls/s through to the upstream and its ratio to direct, with the
 * CPU each party spends per call and Postgres commits per call (load-independent, unlike rates
 * on shared cores); added latency p50/p99 at 200 calls/s; ping req/s with a valid token;
 * overload, open loop at 2x the measured capacity and closed loop with 512 in flight retried at
 * once: served throughput against capacity, refusals and their latency, other errors. Each step
 * is bounded (≤ 20 s); 127.0.0.1 only. --profile writes the gateway's CPU profile (node
 * --cpu-prof) to DIR. --soak runs 80% of the measured capacity for SECONDS (default 300) and
 * prints, per 10 s, throughput, latency, the gateway's RSS and event-loop delay. The load average
 * is printed with the figures: the cores are shared. Ends with one JSON line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { mintToken } from "@/lib/auth/tokens";
import { createTestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { workMeter, type WorkCounts } from "./support/cpu";
import { closedLoop, type LoadResult, openLoop, percentile } from "./support/load";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const seconds = Math.min(20, Number(arg("seconds") ?? 5));
// --profile=DIR: the gateway runs with --cpu-prof and writes its profile there when it stops.
const profileDir = arg("profile");
// --steps=saturation,latency,ping,overload: only those steps (profiling one of them).
const steps = new Set((arg("steps") ?? "saturation,latency,ping,overload").split(","));
// --soak[=SECONDS]: instead of the steps, 80% of the measured saturation rate for that long (default 300).
const soakArg = process.argv.find((a) => a === "--soak" || a.startsWith("--soak="));
const soakSeconds = soakArg ? Number(soakArg.split("=")[1] ?? 300) : 0;
const UPSTREAM_PORT = 4699;
const GATEWAY_PORT = 3299;
const CONCURRENCY = 32;
const MAX_IN_FLIGHT = 64;
const OVERLOAD_CONCURRENCY = 512;
const r2 = (x: number) => Math.round(x * 100) / 100;
const load = () => loadavg().map((x) => r2(x));

interface ProbeSample {
  p50: number;
  p99: number;
  max: number;
  rss_mb: number;
  heap_mb: number;
}
const probeSamples: ProbeSample[] = [];

function start(args: string[], extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  const label = path.basename(args.find((a) => /\.(mjs|ts)$/.test(a) && !a.includes("loop-probe")) ?? "child");
  child.stderr?.on("data", (d) => {
    const text = String(d).split("\n").filter((l) => l && !l.startsWith("loop-probe ")).join("\n");
    if (text) process.stderr.write(`[${label}] ${text}\n`);
  });
  return child;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { result?: { isError?: boolean; content?: { text?: string }[] }; error?: { code?: number; data?: { code?: string } } };
}

function client(origin: string, connections: number) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  let next = 0;
  const post = async (headers: Record<string, string>, message: object): Promise<Answer> => {
    const res = await pool.request({
      path: "/mcp",
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(message),
    });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Answer["body"] };
  };
  const call = (headers: Record<string, string>, name: string) => async () => {
    const id = ++next;
    const a = await post(headers, { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { message: `m${id}` } } });
    return a.status === 200 && !a.body.result?.isError && a.body.result?.content?.[0]?.text === `m${id}`;
  };
  return { pool, post, call, nextId: () => ++next };
}

async function waitForGateway(post: () => Promise<Answer>, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await post().then((a) => a.status === 200, () => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the gateway did not answer ping within ${ms} ms`);
}

function row(label: string, r: LoadResult) {
  return `${label.padEnd(30)} ${r.callsPerSecond.toFixed(0).padStart(7)}/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  errors ${r.errors}`;
}

/**
 * --soak: the saturation rate measured first, then calls at 80% of it (open loop) for soakSeconds,
 * in 10-second windows: throughput, latency, the gateway's RSS and event-loop delay (from
 * bench/support/loop-probe.mjs, preloaded into it) and listener warnings, per window.
 */
async function soak(callGateway: () => Promise<boolean>, db: { sql: { query: <T>(q: string) => Promise<T[]> } }, warnings: string[]) {
  const sat = await closedLoop(callGateway, CONCURRENCY, Math.min(seconds, 10));
  const rate = Math.max(1, Math.round(0.8 * sat.callsPerSecond));
  console.log(`soak: saturation ${sat.callsPerSecond.toFixed(0)}/s measured; ${rate} calls/s (80%) for ${soakSeconds} s  (load ${load().join(" ")})`);
  const windows: Record<string, number | number[]>[] = [];
  const started = performance.now();
  let errors = 0;
  while ((performance.now() - started) / 1000 < soakSeconds) {
    const w = Math.min(10, soakSeconds - (performance.now() - started) / 1000);
    if (w < 1) break;
    const from = probeSamples.length;
    const r = await openLoop(callGateway, rate, w);
    errors += r.errors;
    const s = probeSamples.slice(from);
    const last = s.at(-1);
    const win = {
      t_s: Math.round((performance.now() - started) / 1000),
      calls_per_s: Math.round(r.callsPerSecond),
      p50_ms: r2(r.p50),
      p99_ms: r2(r.p99),
      errors: r.errors,
      rss_mb: last?.rss_mb ?? -1,
      heap_mb: last?.heap_mb ?? -1,
      loop_delay_p99_ms: s.length ? Math.max(...s.map((x) => x.p99)) : -1,
      loop_delay_max_ms: s.length ? Math.max(...s.map((x) => x.max)) : -1,
      load_average: load(),
    };
    windows.push(win);
    console.log(
      `  t=${String(win.t_s).padStart(4)} s  ${String(win.calls_per_s).padStart(5)}/s  p50 ${String(win.p50_ms).padStart(6)} ms  p99 ${String(win.p99_ms).padStart(7)} ms  errors ${win.errors}  ` +
        `RSS ${win.rss_mb} MB  heap ${win.heap_mb} MB  loop delay p99 ${win.loop_delay_p99_ms} ms max ${win.loop_delay_max_ms} ms  (load ${win.load_average.join(" ")})`,
    );
  }
  const rss = windows.map((w) => w.rss_mb as number);
  const audited = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_records WHERE kind = 'tool_decision'`);
  console.log(
    JSON.stringify({
      bench: "data-plane-soak",
      seconds: soakSeconds,
      saturation_per_s: Math.round(sat.callsPerSecond),
      rate_per_s: rate,
      errors,
      rss_mb_first: rss[0],
      rss_mb_last: rss.at(-1),
      rss_mb_max: Math.max(...rss),
      loop_delay_p99_ms_max: Math.max(...windows.map((w) => w.loop_delay_p99_ms as number)),
      listener_warnings: warnings.length,
      audited_decisions: Number(audited[0].n),
      windows,
      load_average: load(),
    }),
  );
}

async function main() {
  const { DATABASE_URL, REDIS_URL } = env();
  if (!DATABASE_URL || !REDIS_URL) {
    console.log("data-plane bench needs DATABASE_URL and REDIS_URL (the production setup).");
    console.log(JSON.stringify({ bench: "data-plane", skipped: true, reason: "DATABASE_URL and REDIS_URL are required" }));
    return;
  }
  const db = await createTestDb();
  const dir = mkdtempSync(path.join(tmpdir(), "canopy-dp-bench-"));
  writeFileSync(path.join(dir, "policy.yaml"), 'version: 1\ndefaults: { decision: deny }\nrules:\n  - name: bench echo\n    match: "bench.*"\n    action: allow\n    reason: benchmark\n');
  writeFileSync(path.join(dir, "upstreams.yaml"), `version: 1\nservers:\n  - name: bench\n    transport: http\n    url: http://127.0.0.1:${UPSTREAM_PORT}/mcp\n`);
  const upstream = start(["--import", "tsx", "bench/support/echo-upstream.ts", String(UPSTREAM_PORT)], {});
  const probe = soakSeconds > 0 ? ["--import", "./bench/support/loop-probe.mjs"] : [];
  const gateway = start([...probe, ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), "cli/canopy.mjs", "gateway", "--port", String(GATEWAY_PORT)], {
    DATABASE_URL: db.url!,
    REDIS_URL,
    CANOPY_DATA_DIR: dir,
    POLICY_PATH: path.join(dir, "policy.yaml"),
    UPSTREAMS_PATH: path.join(dir, "upstreams.yaml"),
    LOG_LEVEL: "warn",
    CANOPY_ADMIN_PASSWORD: "bench-password-123",
    NODE_ENV: "production",
    DATA_PLANE_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
  });
  const warnings: string[] = [];
  gateway.stderr?.on("data", (d) => {
    for (const line of String(d).split("\n")) {
      if (line.startsWith("loop-probe ")) probeSamples.push(JSON.parse(line.slice(11)) as ProbeSample);
      else if (/MaxListenersExceeded|Warning/.test(line)) warnings.push(line.trim().slice(0, 200));
    }
  });
  const direct = client(`http://127.0.0.1:${UPSTREAM_PORT}`, CONCURRENCY);
  const gw = client(`http://127.0.0.1:${GATEWAY_PORT}`, OVERLOAD_CONCURRENCY);
  try {
    const mint = async () => {
      const secrets = JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8"));
      return (
        await mintToken(
          { tenant: "demo-tenant", subject: "bench-agent", roles: ["agent"], ttlSeconds: 3600, now: Math.floor(Date.now() / 1000) },
          { privateKeyPem: secrets.jwtPrivateKeyPem, publicKeyPem: secrets.jwtPublicKeyPem, issuer: "canopyiq", audience: "canopyiq-api" },
        )
      ).token;
    };
    let token = "";
    await waitForGateway(async () => {
      token ||= await mint();
      return gw.post({ authorization: `Bearer ${token}` }, { jsonrpc: "2.0", id: 0, method: "ping" });
    }, 90_000);
    const auth = { authorization: `Bearer ${token}` };
    const callDirect = direct.call({}, "echo");
    const callGateway = gw.call(auth, "bench.echo");
    const ping = async () => (await gw.post(auth, { jsonrpc: "2.0", id: gw.nextId(), method: "ping" })).status === 200;
    if (!(await callDirect()) || !(await callGateway())) throw new Error("a warm-up call failed: check the upstream and the policy");

    console.log(`load average before: ${load().join(" ")} (2 shared cores; other engineers' work counts here too)`);
    await closedLoop(callGateway, 16, 2); // JIT, pools, caches
    await closedLoop(callDirect, 16, 1);

    if (soakSeconds > 0) {
      await soak(callGateway, db, warnings);
      return;
    }
    const pids = { gateway: gateway.pid, upstream: upstream.pid };
    const out: Record<string, unknown> = { bench: "data-plane", seconds_per_step: seconds, concurrency: CONCURRENCY };
    const targets: Record<string, boolean> = {};
    let saturation = 0;
    if (steps.has("saturation")) {
      let meter = await workMeter(db.sql, pids);
      const satDirect = await closedLoop(callDirect, CONCURRENCY, seconds);
      const cpuDirect = await meter(satDirect.calls);
      const loadDirect = load();
      meter = await workMeter(db.sql, pids);
      const satGateway = await closedLoop(callGateway, CONCURRENCY, seconds);
      const cpuGateway = await meter(satGateway.calls);
      const loadGateway = load();
      saturation = satGateway.callsPerSecond;
      const ratio = satGateway.callsPerSecond / satDirect.callsPerSecond;
      console.log(`audited tools/call, ${CONCURRENCY} in flight, same undici pool settings`);
      console.log(row("  direct to the upstream", satDirect) + `  (load ${loadDirect.join(" ")})`);
      console.log(row("  through canopy gateway", satGateway) + `  (load ${loadGateway.join(" ")})`);
      console.log(`  ratio to direct: ${(ratio * 100).toFixed(1)}%`);
      const cpuRow = (c: WorkCounts) =>
        `gateway ${c.cpu_us.gateway} µs, upstream ${c.cpu_us.upstream} µs, postgres ${c.cpu_us.postgres} µs, load generator ${c.cpu_us.this_process} µs; Postgres commits ${c.pg_commits}, rows inserted ${c.pg_rows_inserted}`;
      console.log(`  CPU per call, direct:  ${cpuRow(cpuDirect)}`);
      console.log(`  CPU per call, gateway: ${cpuRow(cpuGateway)}`);
      out.audited_call = {
        direct_calls_per_s: Math.round(satDirect.callsPerSecond),
        gateway_calls_per_s: Math.round(satGateway.callsPerSecond),
        ratio_to_direct: r2(ratio),
        gateway_p50_ms: r2(satGateway.p50),
        gateway_p99_ms: r2(satGateway.p99),
        errors: satGateway.errors,
        load_average: loadGateway,
        cpu_per_call_direct: cpuDirect,
        cpu_per_call_gateway: cpuGateway,
      };
      targets.calls_per_s_1000 = satGateway.callsPerSecond >= 1000;
      targets.ratio_50_percent = ratio >= 0.5;
    }

    if (steps.has("latency")) {
      const d200 = await openLoop(callDirect, 200, seconds);
      const g200 = await openLoop(callGateway, 200, seconds);
      const added = { p50: g200.p50 - d200.p50, p99: g200.p99 - d200.p99 };
      console.log("fixed rate 200 calls/s");
      console.log(row("  direct", d200));
      console.log(row("  through the gateway", g200));
      console.log(`  added latency: p50 ${added.p50.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms  (load ${load().join(" ")})`);
      out.at_200_per_s = { added_p50_ms: r2(added.p50), added_p99_ms: r2(added.p99), direct_p99_ms: r2(d200.p99), gateway_p99_ms: r2(g200.p99), errors: g200.errors, load_average: load() };
      targets.added_p50_1ms = added.p50 <= 1;
      targets.added_p99_5ms = added.p99 <= 5;
    }

    if (steps.has("ping")) {
      const pings = await closedLoop(ping, 64, seconds);
      console.log(row("ping with a valid token (64)", pings) + `  (load ${load().join(" ")})`);
      out.ping_per_s = Math.round(pings.callsPerSecond);
      targets.ping_10000 = pings.callsPerSecond >= 10_000;
    }

    if (steps.has("overload")) {
      if (!saturation) saturation = (await closedLoop(callGateway, CONCURRENCY, seconds)).callsPerSecond;
      // Overload: far more calls in flight than the bound; refusals must be fast and the only errors.
      const refusalLatencies: number[] = [];
      let refused = 0;
      let otherErrors = 0;
      let retryAfterMissing = 0;
      const overloadCall = async () => {
        const id = gw.nextId();
        const t = performance.now();
        const a = await gw.post(auth, { jsonrpc: "2.0", id, method: "tools/call", params: { name: "bench.echo", arguments: { message: `m${id}` } } });
        if (a.status === 503 && a.body.error?.data?.code === "overloaded") {
          refused++;
          refusalLatencies.push(performance.now() - t);
          if (!a.headers["retry-after"]) retryAfterMissing++;
          return true;
        }
        if (a.status === 200 && a.body.result?.content?.[0]?.text === `m${id}`) return true;
        otherErrors++;
        return false;
      };
      const summary = (over: LoadResult) => {
        refusalLatencies.sort((x, y) => x - y);
        const servedPerSecond = (over.calls - refused) / over.seconds;
        const r = {
          served_per_s: Math.round(servedPerSecond),
          served_share_of_saturation: r2(servedPerSecond / saturation),
          refused_per_s: Math.round(refused / over.seconds),
          refusal_p50_ms: r2(percentile(refusalLatencies, 50)),
          refusal_p99_ms: r2(percentile(refusalLatencies, 99)),
          served_p99_ms: r2(over.p99),
          other_errors: otherErrors,
          retry_after_missing: retryAfterMissing,
          load_average: load(),
        };
        console.log(
          `  served ${r.served_per_s}/s (${Math.round(r.served_share_of_saturation * 100)}% of saturation), refused ${r.refused_per_s}/s ` +
            `(p50 ${r.refusal_p50_ms} ms, p99 ${r.refusal_p99_ms} ms), other errors ${otherErrors}, Retry-After missing ${retryAfterMissing}  (load ${r.load_average.join(" ")})`,
        );
        refusalLatencies.length = 0;
        refused = 0;
        otherErrors = 0;
        retryAfterMissing = 0;
        return r;
      };
      // Open loop at twice the measured capacity: calls keep arriving whatever the answers (the
      // usual shape of overload); served throughput must stay at capacity.
      const offered = Math.round(2 * saturation);
      console.log(`overload: ${offered} calls/s offered (2x saturation), DATA_PLANE_MAX_IN_FLIGHT=${MAX_IN_FLIGHT}`);
      const open = summary(await openLoop(overloadCall, offered, seconds));
      // Closed loop, refused calls retried at once: the load generator itself competes for the cores.
      console.log(`overload: ${OVERLOAD_CONCURRENCY} in flight retried at once, DATA_PLANE_MAX_IN_FLIGHT=${MAX_IN_FLIGHT}`);
      const closed = summary(await closedLoop(overloadCall, OVERLOAD_CONCURRENCY, seconds));
      out.overload = { max_in_flight: MAX_IN_FLIGHT, saturation_per_s: Math.round(saturation), open_loop_2x: { offered_per_s: offered, ...open }, closed_loop: { offered_in_flight: OVERLOAD_CONCURRENCY, ...closed } };
      targets.overload_only_fast_refusals = open.other_errors === 0 && closed.other_errors === 0 && open.refusal_p99_ms < 50;
      targets.overload_served_at_capacity = open.served_share_of_saturation >= 0.9;
    }

    const audited = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_records WHERE kind = 'tool_decision'`);
    const sync = await db.sql.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    console.log(`audit: ${audited[0].n} tool_decision records, synchronous_commit=${sync[0].synchronous_commit}; listener warnings from the gateway: ${warnings.length}`);
    console.log(JSON.stringify({ ...out, load_average: load(), audited_decisions: Number(audited[0].n), synchronous_commit: sync[0].synchronous_commit, listener_warnings: warnings.length, targets }));
  } finally {
    await Promise.all([direct.pool.close(), gw.pool.close()]).catch(() => {});
    gateway.kill("SIGTERM");
    upstream.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
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
