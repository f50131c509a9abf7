/**
 * `npm run bench:audit`: the audit log against the configured Postgres (DATABASE_URL; a fresh
 * database is created next to it and dropped afterwards). Measures durable appends per second
 * with 1, 16 and 64 concurrent writers (group commit), p50/p99 append latency, and the verify
 * rate. Prints a table, then ONE JSON line with every figure.
 *
 *   npx tsx bench/audit.bench.ts [--seconds=4] [--verify-records=200000] [--verify-workers=N]
 *     [--skip-appends] [--verify-runs=1]
 */
import { randomUUID } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { makeAuditLog, testKeys } from "@/lib/audit/testing";
import { env } from "@/lib/env";
import { createTestDb } from "@/lib/db/testing";
import { workMeter, type WorkCounts } from "./support/cpu";
import { commitFloor, rowFloor } from "./support/postgres-floor";

const WRITERS = [1, 16, 64];
const SECONDS_PER_RUN = Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? 4);
const VERIFY_RECORDS = Number(process.argv.find((a) => a.startsWith("--verify-records="))?.slice(17) ?? 200_000);
// Verification worker threads (AUDIT_VERIFY_WORKERS); the chain is also verified in one thread (0) for comparison.
const VERIFY_WORKERS = Number(process.argv.find((a) => a.startsWith("--verify-workers="))?.slice(17) ?? Math.min(availableParallelism(), 8));
// --skip-appends: only the verify rate (the chain is still built first); --verify-runs=N: each verify mode N times.
const SKIP_APPENDS = process.argv.includes("--skip-appends");
const VERIFY_RUNS = Math.max(1, Number(process.argv.find((a) => a.startsWith("--verify-runs="))?.slice(14) ?? 1));

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const r2 = (n: number) => Math.round(n * 100) / 100;

function sampleCall(i: number) {
  return {
    kind: "tool_decision",
    traceId: randomUUID(),
    subject: `agent-${i % 50}`,
    tool: i % 3 === 0 ? "fs.write" : "http.fetch",
    args: { path: `/sandbox/out/file-${i}.txt`, content: "x".repeat(64), api_key: "sk-live-123", options: { overwrite: true, mode: 420 } },
    decision: i % 10 === 0 ? "deny" : "allow",
    rule: i % 10 === 0 ? "FS-write outside jail requires dual approval" : "allow sandbox writes",
    reason: "matched rule",
    policyVersion: 7,
    latencyMs: 1.5,
  };
}

async function main() {
  if (!env().DATABASE_URL) {
    console.error("bench:audit needs DATABASE_URL (a Postgres server); embedded PGlite is single-process and not what production runs.");
    process.exit(2);
  }
  const db = await createTestDb();
  const keys = testKeys();
  const log = makeAuditLog(db, keys, { checkpointEvery: 1000, checkpointSeconds: 60 });
  const runs: { writers: number; appends: number; seconds: number; appends_per_s: number; p50_ms: number; p99_ms: number; work_per_append: WorkCounts }[] = [];
  try {
    const floor = await commitFloor((fn) => db.sql.session(fn));
    console.log(
      `floor, 1 writer: SELECT 1 p50 ${floor.select_p50_ms} ms; durable INSERT (autocommit) p50 ${floor.insert_autocommit_p50_ms} ms p99 ${floor.insert_autocommit_p99_ms} ms; ` +
        `BEGIN/INSERT/COMMIT p50 ${floor.insert_txn_p50_ms} ms (synchronous_commit=${floor.synchronous_commit}, load ${loadavg().map(r2).join(" ")})`,
    );
    console.log(
      `  paced, one every ${floor.paced_gap_ms} ms: SELECT 1 p50 ${floor.paced_select_p50_ms} ms; durable INSERT p50 ${floor.paced_insert_autocommit_p50_ms} ms p99 ${floor.paced_insert_autocommit_p99_ms} ms (waking the idle processes)`,
    );
    const rows = await rowFloor((fn) => db.sql.session(fn));
    console.log(
      `floor, Postgres CPU per row (${rows.batch_rows}-row INSERTs made by the server): bare copy ${rows.bare_us} µs, with audit_records' indexes ${rows.indexed_us} µs, ` +
        `audit_records (indexes + activity rollup) ${rows.audit_records_us} µs → one tenant's chain (one backend at a time) ≤ ${rows.one_chain_rows_per_s} rows/s per core`,
    );
    // Warm-up: connections, plans, JIT.
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append({ tenant: "warmup", ...sampleCall(i) })));

    for (const writers of SKIP_APPENDS ? [] : WRITERS) {
      const tenant = `bench-w${writers}`;
      const latencies: number[] = [];
      const meter = await workMeter(db.sql);
      const deadline = performance.now() + SECONDS_PER_RUN * 1000;
      const started = performance.now();
      let i = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (performance.now() < deadline) {
            const t0 = performance.now();
            await log.append({ tenant, ...sampleCall(i++) });
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const work = await meter(latencies.length);
      latencies.sort((a, b) => a - b);
      runs.push({
        writers,
        appends: latencies.length,
        seconds: r2(seconds),
        appends_per_s: Math.round(latencies.length / seconds),
        p50_ms: r2(pct(latencies, 50)),
        p99_ms: r2(pct(latencies, 99)),
        work_per_append: work,
      });
      const v = await log.verify(tenant);
      if (!v.ok) throw new Error(`chain of ${tenant} does not verify: ${v.message}`);
      console.log(`${String(writers).padStart(3)} writers: ${runs.at(-1)!.appends_per_s} appends/s, p50 ${runs.at(-1)!.p50_ms} ms, p99 ${runs.at(-1)!.p99_ms} ms (${latencies.length} appends; per append: ${work.pg_commits} commits, CPU ${work.cpu_us.this_process} µs here + ${work.cpu_us.postgres} µs Postgres)`);
    }

    // Verify rate over a chain of VERIFY_RECORDS records.
    const tenant = "bench-verify";
    const fillStart = performance.now();
    let made = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (made < VERIFY_RECORDS) {
          made++;
          await log.append({ tenant, ...sampleCall(made) });
        }
      }),
    );
    const fillSeconds = (performance.now() - fillStart) / 1000;
    // CPU per record: this process (its main thread AND its worker threads: process.cpuUsage
    // counts every thread) and the Postgres backends: load-independent, unlike the rate.
    const verifyRuns: { workers: number; records: number; seconds: number; records_per_s: number; checkpoints: number; cpu_us_per_record: Record<string, number> }[] = [];
    for (const workers of Array.from({ length: VERIFY_RUNS }, () => [...new Set([0, VERIFY_WORKERS])]).flat()) {
      const vMeter = await workMeter(db.sql);
      const vStart = performance.now();
      const v = await log.verify(tenant, { workers });
      const vSeconds = (performance.now() - vStart) / 1000;
      const vWork = await vMeter(v.count);
      if (!v.ok) throw new Error(`verify failed: ${v.message}`);
      const rate = Math.round(v.count / vSeconds);
      verifyRuns.push({ workers, records: v.count, seconds: r2(vSeconds), records_per_s: rate, checkpoints: v.checkpoints_verified, cpu_us_per_record: vWork.cpu_us });
      console.log(`verify (${workers} worker threads): ${v.count} records in ${r2(vSeconds)} s = ${rate} records/s (${v.checkpoints_verified} checkpoints; chain built at ${Math.round(made / fillSeconds)} appends/s with 256 writers)`);
      console.log(`  per record: CPU ${vWork.cpu_us.this_process} µs in this process (read, parse, hash; all threads) + ${vWork.cpu_us.postgres} µs Postgres (produce the rows)`);
    }
    const verifyRate = Math.max(...verifyRuns.map((r) => r.records_per_s));

    const at64 = runs.find((r) => r.writers === 64);
    console.log(
      JSON.stringify({
        bench: "audit",
        database: db.sql.label,
        load_average: loadavg().map(r2),
        floor,
        row_floor: rows,
        runs,
        verify: verifyRuns,
        targets: { appends_per_s_at_64: 10_000, verify_records_per_s: 200_000 },
        met: { appends: at64 ? at64.appends_per_s >= 10_000 : null, verify: verifyRate >= 200_000 },
      }),
    );
  } finally {
    log.close();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
