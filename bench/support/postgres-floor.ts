import { cpuMsOf } from "./cpu";
import { timed } from "./timing";

/**
 * The floors under the audit log's figures, measured with Postgres alone (no appender, no hashing
 * in this process), so a closing note can say which one stops a target and by how much.
 */
interface Session {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  exec(text: string): Promise<void>;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export interface CommitFloor {
  select_p50_ms: number;
  insert_autocommit_p50_ms: number;
  insert_autocommit_p99_ms: number;
  insert_txn_p50_ms: number;
  insert_txn_p99_ms: number;
  /** The same, one every `paced_gap_ms` (as the data plane's added-latency bench sends calls). */
  paced_gap_ms: number;
  paced_select_p50_ms: number;
  paced_insert_autocommit_p50_ms: number;
  paced_insert_autocommit_p99_ms: number;
  synchronous_commit: string;
}

/**
 * What one durable commit costs here, whatever the log does: a trivial one-row INSERT committed
 * at 1 writer (fsync of the WAL) against a bare round trip, back to back and paced. An audited
 * call waits for one commit, so this bounds the latency the gateway can add. Paced, every round
 * trip also pays for waking the processes that slept between calls (on a virtual machine this
 * is most of it), which is what a lone call at 200 calls/s meets.
 */
export async function commitFloor(session: <T>(fn: (s: Session) => Promise<T>) => Promise<T>, gapMs = 5): Promise<CommitFloor> {
  const n = 400;
  return session(async (s) => {
    // A real table (a temp table's rows are not WAL-logged), dropped at the end.
    await s.exec("CREATE TABLE IF NOT EXISTS bench_commit_floor (id bigserial PRIMARY KEY, v text)");
    const insert = (i: number) => s.query("INSERT INTO bench_commit_floor (v) VALUES ($1)", [`v${i}`]);
    const select = await timed(n, 0, () => s.query("SELECT 1"));
    const auto = await timed(n, 0, insert);
    const txn = await timed(n, 0, async (i) => {
      await s.exec("BEGIN");
      await insert(i);
      await s.exec("COMMIT");
    });
    const pacedSelect = await timed(n / 2, gapMs, () => s.query("SELECT 1"));
    const pacedInsert = await timed(n / 2, gapMs, insert);
    const sync = (await s.query<{ synchronous_commit: string }>("SHOW synchronous_commit"))[0].synchronous_commit;
    await s.exec("DROP TABLE bench_commit_floor");
    return {
      select_p50_ms: select.p50,
      insert_autocommit_p50_ms: auto.p50,
      insert_autocommit_p99_ms: auto.p99,
      insert_txn_p50_ms: txn.p50,
      insert_txn_p99_ms: txn.p99,
      paced_gap_ms: gapMs,
      paced_select_p50_ms: pacedSelect.p50,
      paced_insert_autocommit_p50_ms: pacedInsert.p50,
      paced_insert_autocommit_p99_ms: pacedInsert.p99,
      synchronous_commit: sync,
    };
  });
}

export interface RowFloor {
  batch_rows: number;
  /** Postgres backend CPU per row, µs: a copy of audit_records without indexes or triggers. */
  bare_us: number;
  /** … the copy with audit_records' indexes. */
  indexed_us: number;
  /** … audit_records itself: its indexes and the activity rollup trigger. */
  audit_records_us: number;
  /** 1e6 / audit_records_us: the rows/s one backend can add to one tenant's chain, on one core. */
  one_chain_rows_per_s: number;
}

/**
 * What Postgres spends per audit row, with nothing of this process in it: batches of `rows`
 * rows made by the server (generate_series; the appender's records' shape and sizes) inserted
 * into a bare copy of audit_records, an indexed copy and audit_records itself, as its backend's
 * CPU. One tenant's chain is appended by one backend at a time (its head lock), so the last figure
 * caps one chain's appends per second on one core, before any commit or round trip.
 */
export async function rowFloor(session: <T>(fn: (s: Session) => Promise<T>) => Promise<T>, rows = 32, batches = 300): Promise<RowFloor> {
  return session(async (s) => {
    const pid = (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0].pid;
    await s.exec(`CREATE TABLE bench_rows_bare (LIKE audit_records INCLUDING DEFAULTS);
      CREATE TABLE bench_rows_indexed (LIKE audit_records INCLUDING DEFAULTS INCLUDING INDEXES)`);
    let base = 0;
    const perRow = async (table: string) => {
      const text = `INSERT INTO ${table} (tenant_id, seq, prev_hash, hash, kind, ts, trace_id, subject, tool, args, decision, rule, reason, policy_version, latency_ms)
        SELECT 'bench-row-floor', $1::bigint + g, md5(($1::bigint + g)::text) || md5('p' || g), md5(g::text) || md5(($1::bigint + g)::text), 'tool_decision',
          now() AT TIME ZONE 'UTC', gen_random_uuid()::text, 'agent-' || (g % 50), CASE WHEN g % 3 = 0 THEN 'fs.write' ELSE 'http.fetch' END,
          jsonb_build_object('path', '/sandbox/out/file-' || g || '.txt', 'content', repeat('x', 64), 'api_key', '[REDACTED]', 'options', '{"overwrite":true,"mode":420}'::jsonb),
          CASE WHEN g % 10 = 0 THEN 'deny' ELSE 'allow' END, 'allow sandbox writes', 'matched rule', 7, 1.5
        FROM generate_series(1, ${rows}) g`;
      for (let i = 0; i < 20; i++) await s.query(text, [String((base += rows))]);
      const cpu0 = cpuMsOf(pid);
      for (let i = 0; i < batches; i++) await s.query(text, [String((base += rows))]);
      return r2(((cpuMsOf(pid) - cpu0) * 1000) / (batches * rows));
    };
    try {
      const bare = await perRow("bench_rows_bare");
      const indexed = await perRow("bench_rows_indexed");
      const real = await perRow("audit_records");
      return { batch_rows: rows, bare_us: bare, indexed_us: indexed, audit_records_us: real, one_chain_rows_per_s: Math.round(1e6 / Math.max(real, 0.01)) };
    } finally {
      await s.exec("DROP TABLE IF EXISTS bench_rows_bare; DROP TABLE IF EXISTS bench_rows_indexed");
    }
  });
}
