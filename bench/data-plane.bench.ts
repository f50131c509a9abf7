/**
 * The MCP data plane (issue 14): `canopy gateway` (node:http, no Next) in front of a Streamable
 * HTTP upstream, real Postgres and Redis, every call audited durably before it is forwarded.
 * Direct and gateway calls use the same client: one undici Pool per target, the same number of
 * connections and calls in flight.
 *
 *   DATABASE_URL=postgresql://… REDIS_URL=redis://… npx tsx bench/data-plane.bench.ts [--seconds=5]
 *
 * Prints: audited tools/call calls/s through to the upstream and its ratio to direct; added
 * latency p50/p99 at 200 calls/s; ping req/s with a valid token; overload (offered far past the
 * in-flight bound): refusals, their latency, other errors, throughput kept. Each step is bounded
 * (≤ 20 s); 127.0.0.1 only. The machine's load average is printed with the figures: the cores
 * are shared. Ends with one JSON line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { mintToken } from "@/lib/auth/tokens";
import { createTestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { closedLoop, type LoadResult, openLoop, percentile } from "./support/load";

const seconds = Math.min(20, Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? 5));
const UPSTREAM_PORT = 4699;
const GATEWAY_PORT = 3299;
const CONCURRENCY = 32;
const MAX_IN_FLIGHT = 64;
const OVERLOAD_CONCURRENCY = 512;
const r2 = (x: number) => Math.round(x * 100) / 100;
const load = () => loadavg().map((x) => r2(x));

function start(args: string[], extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (d) => process.stderr.write(`[${path.basename(args[1] ?? args[0])}] ${d}`));
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
  const upstream = start(["node_modules/tsx/dist/cli.mjs", "bench/support/echo-upstream.ts", String(UPSTREAM_PORT)], {});
  const gateway = start(["cli/canopy.mjs", "gateway", "--port", String(GATEWAY_PORT)], {
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
    if (/MaxListenersExceeded|Warning/.test(String(d))) warnings.push(String(d).trim().slice(0, 200));
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

    const satDirect = await closedLoop(callDirect, CONCURRENCY, seconds);
    const loadDirect = load();
    const satGateway = await closedLoop(callGateway, CONCURRENCY, seconds);
    const loadGateway = load();
    const ratio = satGateway.callsPerSecond / satDirect.callsPerSecond;
    console.log(`audited tools/call, ${CONCURRENCY} in flight, same undici pool settings`);
    console.log(row("  direct to the upstream", satDirect) + `  (load ${loadDirect.join(" ")})`);
    console.log(row("  through canopy gateway", satGateway) + `  (load ${loadGateway.join(" ")})`);
    console.log(`  ratio to direct: ${(ratio * 100).toFixed(1)}%`);

    const d200 = await openLoop(callDirect, 200, seconds);
    const g200 = await openLoop(callGateway, 200, seconds);
    const added = { p50: g200.p50 - d200.p50, p99: g200.p99 - d200.p99 };
    console.log("fixed rate 200 calls/s");
    console.log(row("  direct", d200));
    console.log(row("  through the gateway", g200));
    console.log(`  added latency: p50 ${added.p50.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms  (load ${load().join(" ")})`);

    const pings = await closedLoop(ping, 64, seconds);
    console.log(row("ping with a valid token (64)", pings) + `  (load ${load().join(" ")})`);

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
    const over = await closedLoop(overloadCall, OVERLOAD_CONCURRENCY, seconds);
    refusalLatencies.sort((a, b) => a - b);
    const served = over.calls - refused;
    const servedPerSecond = served / over.seconds;
    console.log(`overload: ${OVERLOAD_CONCURRENCY} in flight against DATA_PLANE_MAX_IN_FLIGHT=${MAX_IN_FLIGHT}`);
    console.log(
      `  served ${servedPerSecond.toFixed(0)}/s (${((servedPerSecond / satGateway.callsPerSecond) * 100).toFixed(0)}% of saturation), refused ${(refused / over.seconds).toFixed(0)}/s ` +
        `(p50 ${percentile(refusalLatencies, 50).toFixed(2)} ms, p99 ${percentile(refusalLatencies, 99).toFixed(2)} ms), other errors ${otherErrors}, Retry-After missing ${retryAfterMissing}  (load ${load().join(" ")})`,
    );

    const audited = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_records WHERE kind = 'tool_decision'`);
    const sync = await db.sql.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    console.log(`audit: ${audited[0].n} tool_decision records, synchronous_commit=${sync[0].synchronous_commit}; listener warnings from the gateway: ${warnings.length}`);
    console.log(
      JSON.stringify({
        bench: "data-plane",
        seconds_per_step: seconds,
        concurrency: CONCURRENCY,
        load_average: load(),
        audited_call: {
          direct_calls_per_s: Math.round(satDirect.callsPerSecond),
          gateway_calls_per_s: Math.round(satGateway.callsPerSecond),
          ratio_to_direct: r2(ratio),
          gateway_p50_ms: r2(satGateway.p50),
          gateway_p99_ms: r2(satGateway.p99),
          errors: satGateway.errors,
        },
        at_200_per_s: { added_p50_ms: r2(added.p50), added_p99_ms: r2(added.p99), direct_p99_ms: r2(d200.p99), gateway_p99_ms: r2(g200.p99), errors: g200.errors },
        ping_per_s: Math.round(pings.callsPerSecond),
        overload: {
          offered_in_flight: OVERLOAD_CONCURRENCY,
          max_in_flight: MAX_IN_FLIGHT,
          served_per_s: Math.round(servedPerSecond),
          refused_per_s: Math.round(refused / over.seconds),
          refusal_p50_ms: r2(percentile(refusalLatencies, 50)),
          refusal_p99_ms: r2(percentile(refusalLatencies, 99)),
          other_errors: otherErrors,
          retry_after_missing: retryAfterMissing,
        },
        audited_decisions: Number(audited[0].n),
        synchronous_commit: sync[0].synchronous_commit,
        listener_warnings: warnings.length,
        targets: {
          calls_per_s_1000: satGateway.callsPerSecond >= 1000,
          ratio_50_percent: ratio >= 0.5,
          added_p50_1ms: added.p50 <= 1,
          added_p99_5ms: added.p99 <= 5,
          ping_10000: pings.callsPerSecond >= 10_000,
          overload_only_fast_refusals: otherErrors === 0 && percentile(refusalLatencies, 99) < 50,
        },
      }),
    );
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
