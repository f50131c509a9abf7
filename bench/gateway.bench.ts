/**
 * Gateway overhead (issue 5, item 9): the same tool called directly on an upstream MCP server and
 * through CanopyIQ's /mcp (production build, real Postgres and Redis, audit on: two records per
 * call, the decision before forwarding and the outcome after). Saturation (closed loop) and fixed
 * request rates (open loop, so queueing shows); added latency = gateway − direct at the same rate.
 *
 *   DATABASE_URL=postgresql://… REDIS_URL=redis://… npx tsx bench/gateway.bench.ts [--seconds=10]
 * Builds the app first when .next holds no production build. Ends with one JSON line.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mintToken } from "@/lib/auth/tokens";
import { createTestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { closedLoop, type LoadResult, openLoop } from "./support/load";

const seconds = Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? 10);
const UPSTREAM_PORT = 4599;
const GATEWAY_PORT = 3199;
const TARGET_CALLS_PER_S = 2000;
const TARGET_ADDED_P99_MS = 5;
const r2 = (x: number) => Math.round(x * 100) / 100;

function start(cmd: string, args: string[], extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (d) => process.stderr.write(`[${path.basename(args[0] ?? cmd)}] ${d}`));
  return child;
}

async function waitFor(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become healthy within ${ms} ms`);
}

function rpc(url: string, headers: Record<string, string>, name: string) {
  let next = 0;
  return async () => {
    const id = ++next;
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { message: `m${id}` } } }),
    });
    const body = (await res.json()) as { result?: { isError?: boolean; content?: { text?: string }[] } };
    return res.ok && !body.result?.isError && body.result?.content?.[0]?.text === `m${id}`;
  };
}

function row(label: string, r: LoadResult) {
  return `${label.padEnd(28)} ${r.callsPerSecond.toFixed(0).padStart(7)}/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  errors ${r.errors}`;
}

async function main() {
  const { DATABASE_URL, REDIS_URL } = env();
  if (!DATABASE_URL || !REDIS_URL) {
    console.log("gateway bench needs DATABASE_URL and REDIS_URL (the production setup).");
    console.log(JSON.stringify({ bench: "gateway", skipped: true, reason: "DATABASE_URL and REDIS_URL are required" }));
    return;
  }
  if (!existsSync(".next/BUILD_ID")) {
    console.log("building the production app (next build)…");
    const b = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], { stdio: "inherit" });
    if (b.status !== 0) throw new Error("next build failed");
  }
  const db = await createTestDb();
  const dir = mkdtempSync(path.join(tmpdir(), "canopy-gw-bench-"));
  writeFileSync(path.join(dir, "policy.yaml"), 'version: 1\ndefaults: { decision: deny }\nrules:\n  - name: bench echo\n    match: "bench.*"\n    action: allow\n    reason: benchmark\n');
  writeFileSync(path.join(dir, "upstreams.yaml"), `version: 1\nservers:\n  - name: bench\n    transport: http\n    url: http://127.0.0.1:${UPSTREAM_PORT}/mcp\n`);

  const upstream = start(process.execPath, ["node_modules/tsx/dist/cli.mjs", "bench/support/echo-upstream.ts", String(UPSTREAM_PORT)], {});
  const gateway = start(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(GATEWAY_PORT), "-H", "127.0.0.1"], {
    DATABASE_URL: db.url!,
    REDIS_URL,
    CANOPY_DATA_DIR: dir,
    POLICY_PATH: path.join(dir, "policy.yaml"),
    UPSTREAMS_PATH: path.join(dir, "upstreams.yaml"),
    LOG_LEVEL: "warn",
    CANOPY_ADMIN_PASSWORD: "bench-password-123",
    NODE_ENV: "production",
  });
  try {
    await waitFor(`http://127.0.0.1:${GATEWAY_PORT}/api/health`, 60_000);
    const secrets = JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8"));
    const { token } = await mintToken(
      { tenant: "demo-tenant", subject: "bench-agent", roles: ["agent"], ttlSeconds: 3600, now: Math.floor(Date.now() / 1000) },
      { privateKeyPem: secrets.jwtPrivateKeyPem, publicKeyPem: secrets.jwtPublicKeyPem, issuer: "canopyiq", audience: "canopyiq-api" },
    );
    const direct = rpc(`http://127.0.0.1:${UPSTREAM_PORT}/mcp`, {}, "echo");
    const viaGateway = rpc(`http://127.0.0.1:${GATEWAY_PORT}/mcp`, { authorization: `Bearer ${token}` }, "bench.echo");
    if (!(await direct()) || !(await viaGateway())) throw new Error("a warm-up call failed: check the upstream and the policy");

    await closedLoop(viaGateway, 16, 3); // warm the JIT, pools and caches
    await closedLoop(direct, 16, 2);
    const satDirect = await closedLoop(direct, 32, seconds);
    const satGateway = await closedLoop(viaGateway, 32, seconds);
    console.log("saturation (32 in flight)");
    console.log(row("  direct", satDirect));
    console.log(row("  through the gateway", satGateway));

    const half = Math.max(50, Math.floor(satGateway.callsPerSecond / 2));
    const rates = [...new Set([250, 500, half, Math.min(TARGET_CALLS_PER_S / 2, half)])].sort((a, b) => a - b);
    const fixed: { rate: number; direct: LoadResult; gateway: LoadResult }[] = [];
    for (const rate of rates) {
      const d = await openLoop(direct, rate, seconds);
      const g = await openLoop(viaGateway, rate, seconds);
      fixed.push({ rate, direct: d, gateway: g });
      console.log(`fixed rate ${rate}/s`);
      console.log(row("  direct", d));
      console.log(row("  through the gateway", g));
      console.log(`  added: p50 ${(g.p50 - d.p50).toFixed(2)} ms, p99 ${(g.p99 - d.p99).toFixed(2)} ms`);
    }

    const audited = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_records WHERE kind = 'tool_decision'`);
    const atHalf = fixed.find((f) => f.rate === half)!;
    const figures = {
      bench: "gateway",
      seconds_per_step: seconds,
      saturation: {
        direct_calls_per_s: Math.round(satDirect.callsPerSecond),
        gateway_calls_per_s: Math.round(satGateway.callsPerSecond),
        gateway_p50_ms: r2(satGateway.p50),
        gateway_p99_ms: r2(satGateway.p99),
        errors: satGateway.errors,
      },
      fixed_rates: fixed.map((f) => ({
        rate: f.rate,
        direct_p50_ms: r2(f.direct.p50),
        direct_p99_ms: r2(f.direct.p99),
        gateway_p50_ms: r2(f.gateway.p50),
        gateway_p99_ms: r2(f.gateway.p99),
        added_p50_ms: r2(f.gateway.p50 - f.direct.p50),
        added_p99_ms: r2(f.gateway.p99 - f.direct.p99),
        errors: f.gateway.errors,
      })),
      audited_decisions: Number(audited[0].n),
      target_calls_per_s: TARGET_CALLS_PER_S,
      target_added_p99_ms_at_half: TARGET_ADDED_P99_MS,
      meets_throughput: satGateway.callsPerSecond >= TARGET_CALLS_PER_S,
      meets_added_p99_at_half_saturation: atHalf.gateway.p99 - atHalf.direct.p99 <= TARGET_ADDED_P99_MS,
    };
    console.log(JSON.stringify(figures));
  } finally {
    gateway.kill("SIGTERM");
    upstream.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
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
