import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Db } from "./client";

/**
 * Audit log queries (tables audit_records, audit_chain_heads, audit_checkpoints), in raw SQL:
 * the appender batches many records into one multi-row INSERT per transaction (group commit),
 * and verification streams rows in keyset pages, which the ORM would only slow down.
 *
 * Timestamps are stored as UTC `timestamp(3)` and read back as ISO-8601 strings built by the
 * database, so hashes never depend on the process's time zone or a driver's date parsing.
 */

export type Queryer = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** A record row as the appender writes it (all strings or null, ready for text[] arrays). */
export interface AuditRow {
  seq: number;
  prev_hash: string;
  hash: string;
  kind: string;
  ts: string;
  trace_id: string | null;
  subject: string | null;
  tool: string | null;
  args_digest: string | null;
  /** JSON text, or null. */
  args: string | null;
  decision: string | null;
  rule: string | null;
  reason: string | null;
  policy_version: number | null;
  approval_id: string | null;
  latency_ms: number | null;
  upstream_outcome: string | null;
  /** JSON text, or null. */
  data: string | null;
}

/** A record row as read (JSON columns parsed). */
export interface AuditRowRead extends Omit<AuditRow, "args" | "data"> {
  tenant: string;
  args: unknown;
  data: unknown;
}

export interface CheckpointRow {
  seq: number;
  hash: string;
  at: string;
  key_id: string;
  signature: string;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

const RECORD_COLUMNS = `seq::text AS seq, prev_hash, hash, kind, to_char(ts, ${ISO}) AS ts, trace_id, subject, tool, args_digest,
  args::text AS args, decision, rule, reason, policy_version, approval_id, latency_ms, upstream_outcome, data::text AS data`;

const RECORD_COLUMN_COUNT = 18;

function toRead(tenant: string, row: Record<string, unknown>): AuditRowRead {
  return {
    tenant,
    seq: Number(row.seq),
    prev_hash: row.prev_hash as string,
    hash: row.hash as string,
    kind: row.kind as string,
    ts: row.ts as string,
    trace_id: (row.trace_id as string | null) ?? null,
    subject: (row.subject as string | null) ?? null,
    tool: (row.tool as string | null) ?? null,
    args_digest: (row.args_digest as string | null) ?? null,
    args: row.args == null ? null : JSON.parse(row.args as string),
    decision: (row.decision as string | null) ?? null,
    rule: (row.rule as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    policy_version: row.policy_version == null ? null : Number(row.policy_version),
    approval_id: (row.approval_id as string | null) ?? null,
    latency_ms: row.latency_ms == null ? null : Number(row.latency_ms),
    upstream_outcome: (row.upstream_outcome as string | null) ?? null,
    data: row.data == null ? null : JSON.parse(row.data as string),
  };
}

/** As toRead, from a row of raw column texts in RECORD_COLUMNS order (see queryRecordArrays). */
export function arrayToRead(tenant: string, a: unknown[]): AuditRowRead {
  const pv = a[13];
  const lat = a[15];
  return {
    tenant,
    seq: Number(a[0]),
    prev_hash: a[1] as string,
    hash: a[2] as string,
    kind: a[3] as string,
    ts: a[4] as string,
    trace_id: (a[5] as string | null) ?? null,
    subject: (a[6] as string | null) ?? null,
    tool: (a[7] as string | null) ?? null,
    args_digest: (a[8] as string | null) ?? null,
    args: a[9] == null ? null : JSON.parse(a[9] as string),
    decision: (a[10] as string | null) ?? null,
    rule: (a[11] as string | null) ?? null,
    reason: (a[12] as string | null) ?? null,
    // As the driver's int4 and float8 parsers (parseInt, parseFloat) would have read them.
    policy_version: pv == null ? null : typeof pv === "string" ? parseInt(pv, 10) : Number(pv),
    approval_id: (a[14] as string | null) ?? null,
    latency_ms: lat == null ? null : typeof lat === "string" ? parseFloat(lat) : Number(lat),
    upstream_outcome: (a[16] as string | null) ?? null,
    data: a[17] == null ? null : JSON.parse(a[17] as string),
  };
}

const RAW_TEXT = { getTypeParser: () => (v: string) => v };

/**
 * Rows as arrays of column values. On Postgres, as the raw texts the server sent (pg's
 * rowMode "array" with no type parsing: no per-row object with named keys, no Date or JSON
 * parsing the caller does not need), through the pool's query, which takes pg's query config.
 */
async function queryRecordArrays(db: Db, text: string, params: unknown[]): Promise<unknown[][]> {
  if (db.sql.kind === "postgres") {
    const config = { text, values: params, rowMode: "array", types: RAW_TEXT };
    return (await db.sql.query(config as unknown as string)) as unknown as unknown[][];
  }
  return (await db.sql.query(text, params)).map((r) => Object.values(r));
}

function toCheckpoint(row: Record<string, unknown>): CheckpointRow {
  return { seq: Number(row.seq), hash: row.hash as string, at: row.at as string, key_id: row.key_id as string, signature: row.signature as string };
}

/**
 * Runs fn in one transaction with bounded statement and lock waits. On Postgres: a dedicated
 * pooled connection. On PGlite (one connection shared by the whole process): PGlite's exclusive
 * transaction through Prisma's adapter, so no other query of the process lands inside it.
 */
export async function auditTransaction<T>(db: Db, timeoutMs: number, fn: (q: Queryer) => Promise<T>): Promise<T> {
  const ms = Math.max(1, Math.floor(timeoutMs));
  if (db.sql.kind === "postgres") {
    return db.sql.session(async (s) => {
      await s.exec(`BEGIN; SET LOCAL statement_timeout = ${ms}; SET LOCAL lock_timeout = ${ms}`);
      try {
        const out = await fn((text, params) => s.query(text, params));
        await s.exec("COMMIT");
        return out;
      } catch (err) {
        await s.exec("ROLLBACK").catch(() => {});
        throw err;
      }
    });
  }
  return db.prisma.$transaction(
    (tx) => fn((text, params) => tx.$queryRawUnsafe<Record<string, unknown>[]>(text, ...(params ?? []))),
    { maxWait: ms, timeout: ms },
  );
}

/** Creates the tenant's head if absent and locks it until the transaction ends; returns it. */
export async function lockChainHead(q: Queryer, tenant: string, genesis: string): Promise<{ seq: number; hash: string }> {
  // ON CONFLICT DO UPDATE locks the existing row like SELECT … FOR UPDATE, in one round trip.
  const rows = await q(
    `INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET updated_at = audit_chain_heads.updated_at
     RETURNING seq::text AS seq, hash`,
    [tenant, genesis],
  );
  return { seq: Number(rows[0].seq), hash: rows[0].hash as string };
}

const COLS = ["seq", "prev_hash", "hash", "kind", "ts", "trace_id", "subject", "tool", "args_digest", "args", "decision", "rule", "reason", "policy_version", "approval_id", "latency_ms", "upstream_outcome", "data"] as const;

// Rows arrive as one text array per column ($2…$19, in COLS order): one statement for any batch size.
const INSERT_ROWS_FROM_ARRAYS = `INSERT INTO audit_records (tenant_id, seq, prev_hash, hash, kind, ts, trace_id, subject, tool, args_digest, args,
         decision, rule, reason, policy_version, approval_id, latency_ms, upstream_outcome, data)
       SELECT $1, u.seq::bigint, u.prev_hash, u.hash, u.kind, (u.ts::timestamptz AT TIME ZONE 'UTC'), u.trace_id, u.subject, u.tool,
         u.args_digest, u.args::jsonb, u.decision, u.rule, u.reason, u.policy_version::integer, u.approval_id, u.latency_ms::double precision,
         u.upstream_outcome, u.data::jsonb
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
         $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
         AS u(seq, prev_hash, hash, kind, ts, trace_id, subject, tool, args_digest, args, decision, rule, reason, policy_version,
           approval_id, latency_ms, upstream_outcome, data)`;

/**
 * Inserts rows (consecutive seqs, already hashed) with one statement, moves the head to the last
 * one and, when given, stores a checkpoint: all in the caller's transaction.
 */
export async function insertAuditBatch(q: Queryer, tenant: string, rows: AuditRow[], checkpoint?: CheckpointRow): Promise<void> {
  const arrays = COLS.map((c) => rows.map((r) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
  const last = rows[rows.length - 1];
  const params: unknown[] = [tenant, ...arrays, String(last.seq), last.hash];
  let cp = "";
  if (checkpoint) {
    cp = `, cp AS (INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, key_id, signature)
      VALUES ($1, $22::bigint, $23, ($24::timestamptz AT TIME ZONE 'UTC'), $25, $26) ON CONFLICT (tenant_id, seq) DO NOTHING RETURNING 1)`;
    params.push(String(checkpoint.seq), checkpoint.hash, checkpoint.at, checkpoint.key_id, checkpoint.signature);
  }
  await q(
    `WITH ins AS (
       ${INSERT_ROWS_FROM_ARRAYS}
       RETURNING 1
     )${cp}
     UPDATE audit_chain_heads SET seq = $20::bigint, hash = $21, updated_at = now() WHERE tenant_id = $1`,
    params,
  );
}

/**
 * One round trip for the common case: locks the tenant's head row (FOR UPDATE, waiting like
 * lockChainHead) and, only if it is still `expected` (the head this process last committed),
 * inserts the rows hashed from it, moves the head and stores the checkpoint, all in one
 * statement. Returns the head as locked: when it is not `expected` (another process appended
 * meanwhile), nothing was written (the caller re-hashes from the head, see insertAuditBatchOnce).
 * Null when the tenant has no head row yet.
 */
export async function insertAuditBatchAt(
  q: Queryer,
  tenant: string,
  expected: { seq: number; hash: string },
  rows: AuditRow[],
  checkpoint?: CheckpointRow,
): Promise<{ inserted: boolean; head: { seq: number; hash: string } } | null> {
  const arrays = COLS.map((c) => rows.map((r) => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
  const last = rows[rows.length - 1];
  const params: unknown[] = [tenant, ...arrays, String(last.seq), last.hash, String(expected.seq), expected.hash];
  let cp = "";
  if (checkpoint) {
    cp = `, cp AS (INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, key_id, signature)
      SELECT $1, $24::bigint, $25, ($26::timestamptz AT TIME ZONE 'UTC'), $27, $28 FROM ok ON CONFLICT (tenant_id, seq) DO NOTHING RETURNING 1)`;
    params.push(String(checkpoint.seq), checkpoint.hash, checkpoint.at, checkpoint.key_id, checkpoint.signature);
  }
  const out = await q(
    `WITH h AS (SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1 FOR UPDATE),
     ok AS (SELECT 1 FROM h WHERE h.seq = $22::bigint AND h.hash = $23),
     ins AS (
       ${INSERT_ROWS_FROM_ARRAYS}
       WHERE EXISTS (SELECT 1 FROM ok)
       RETURNING 1
     ),
     upd AS (UPDATE audit_chain_heads SET seq = $20::bigint, hash = $21, updated_at = now()
       WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM ok) RETURNING 1)${cp}
     SELECT h.seq::text AS seq, h.hash, (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM upd)::int AS moved FROM h`,
    params,
  );
  const r = out[0];
  if (!r) return null;
  const inserted = Number(r.inserted) === rows.length && Number(r.moved) === 1;
  // Cannot happen (all or nothing hangs on one condition); the caller's transaction rolls back.
  if (!inserted && (Number(r.inserted) !== 0 || Number(r.moved) !== 0)) throw new Error(`audit append wrote ${String(r.inserted)} of ${rows.length} records`);
  return { inserted, head: { seq: Number(r.seq), hash: r.hash as string } };
}

/**
 * insertAuditBatchAt as a transaction of its own: on Postgres one statement in autocommit (one
 * round trip, durable when it returns, bounded by statement and lock timeouts); on PGlite in an
 * exclusive transaction. When it says not inserted, nothing was written and no lock is kept: the
 * caller starts a transaction, locks the head and re-hashes from it.
 */
export async function insertAuditBatchOnce(
  db: Db,
  timeoutMs: number,
  tenant: string,
  expected: { seq: number; hash: string },
  rows: AuditRow[],
  checkpoint?: CheckpointRow,
): Promise<{ inserted: boolean; head: { seq: number; hash: string } } | null> {
  const statement = db.sql.timedStatement;
  // The tenant's lane: the next batch, hashed from this one's end, is sent behind it, never ahead.
  // Prepared by name: the text depends only on whether a checkpoint rides along.
  const name = checkpoint ? "canopy_audit_append_cp" : "canopy_audit_append";
  if (statement) return insertAuditBatchAt((text, params) => statement(text, params ?? [], { timeoutMs, lane: tenant, name }), tenant, expected, rows, checkpoint);
  return auditTransaction(db, timeoutMs, (q) => insertAuditBatchAt(q, tenant, expected, rows, checkpoint));
}

/** Under the head lock: adds a checkpoint for the head unless one exists at that seq. */
export async function insertCheckpoint(q: Queryer, tenant: string, c: CheckpointRow): Promise<void> {
  await q(
    `INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, key_id, signature)
     VALUES ($1, $2::bigint, $3, ($4::timestamptz AT TIME ZONE 'UTC'), $5, $6) ON CONFLICT (tenant_id, seq) DO NOTHING`,
    [tenant, String(c.seq), c.hash, c.at, c.key_id, c.signature],
  );
}

export async function lastCheckpoint(q: Queryer, tenant: string): Promise<{ seq: number; at: string } | null> {
  const rows = await q(`SELECT seq::text AS seq, to_char(at, ${ISO}) AS at FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY audit_checkpoints.seq DESC LIMIT 1`, [tenant]);
  return rows[0] ? { seq: Number(rows[0].seq), at: rows[0].at as string } : null;
}

export async function getChainHead(db: Db, tenant: string): Promise<{ seq: number; hash: string } | null> {
  const rows = await db.sql.query(`SELECT seq::text AS seq, hash FROM audit_chain_heads WHERE tenant_id = $1`, [tenant]);
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash as string } : null;
}

/** The head and the lowest and highest seq stored, read in one snapshot (one statement). */
export async function getChainState(db: Db, tenant: string): Promise<{ seq: number; hash: string; minSeq: number | null; maxSeq: number | null } | null> {
  const rows = await db.sql.query(
    `SELECT h.seq::text AS seq, h.hash,
       (SELECT min(seq) FROM audit_records WHERE tenant_id = $1)::text AS min_seq,
       (SELECT max(seq) FROM audit_records WHERE tenant_id = $1)::text AS max_seq
     FROM (SELECT 1) one LEFT JOIN audit_chain_heads h ON h.tenant_id = $1`,
    [tenant],
  );
  const r = rows[0];
  if (!r || (r.seq == null && r.max_seq == null)) return null;
  return {
    seq: r.seq == null ? 0 : Number(r.seq),
    hash: (r.hash as string | null) ?? "0".repeat(64),
    minSeq: r.min_seq == null ? null : Number(r.min_seq),
    maxSeq: r.max_seq == null ? null : Number(r.max_seq),
  };
}

export interface AuditRowFilter {
  from?: Date;
  to?: Date;
  subject?: string;
  tool?: string;
  decision?: string;
  kind?: string[];
  rule?: string;
  approval_id?: string;
  trace_id?: string;
  outcome?: "ok" | "error";
  q?: string;
  seq?: number;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `fs.*` → LIKE 'fs.%'; a pattern without * or ? is an exact match (and uses the index as such). */
export function globToLike(glob: string): { op: "=" | "LIKE"; value: string } {
  if (!/[*?]/.test(glob)) return { op: "=", value: glob };
  return { op: "LIKE", value: likeEscape(glob).replace(/\*/g, "%").replace(/\?/g, "_") };
}

function whereOf(tenant: string, f: AuditRowFilter, params: unknown[]): string {
  params.push(tenant);
  const parts = [`tenant_id = $${params.length}`];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(sql(`$${params.length}`));
  };
  if (f.from) add((p) => `ts >= (${p}::timestamptz AT TIME ZONE 'UTC')`, f.from.toISOString());
  if (f.to) add((p) => `ts < (${p}::timestamptz AT TIME ZONE 'UTC')`, f.to.toISOString());
  if (f.subject) add((p) => `subject = ${p}`, f.subject);
  if (f.tool) {
    const g = globToLike(f.tool);
    add((p) => (g.op === "=" ? `tool = ${p}` : `tool LIKE ${p}`), g.value);
  }
  if (f.decision) add((p) => `decision = ${p}`, f.decision);
  if (f.kind?.length) add((p) => `kind = ANY(${p}::text[])`, f.kind);
  if (f.rule) add((p) => `rule = ${p}`, f.rule);
  if (f.approval_id) add((p) => `approval_id = ${p}`, f.approval_id);
  if (f.trace_id) add((p) => `trace_id = ${p}`, f.trace_id);
  if (f.outcome === "ok") parts.push(`upstream_outcome = 'ok'`);
  if (f.outcome === "error") parts.push(`upstream_outcome <> 'ok'`);
  if (f.q) add((p) => `reason ILIKE ${p}`, `%${likeEscape(f.q)}%`);
  if (f.seq) add((p) => `seq = ${p}::bigint`, String(f.seq));
  return parts.join(" AND ");
}

/** Newest first; `before` is the keyset cursor (the last seq of the previous page). */
export async function searchAuditRows(db: Db, tenant: string, f: AuditRowFilter, page: { before?: number; limit: number }): Promise<AuditRowRead[]> {
  const params: unknown[] = [];
  let where = whereOf(tenant, f, params);
  if (page.before !== undefined) {
    params.push(String(page.before));
    where += ` AND seq < $${params.length}::bigint`;
  }
  params.push(page.limit);
  const rows = await db.sql.query(`SELECT ${RECORD_COLUMNS} FROM audit_records WHERE ${where} ORDER BY audit_records.seq DESC LIMIT $${params.length}`, params);
  return rows.map((r) => toRead(tenant, r));
}

/**
 * Pages of records, oldest first, by seq ranges of `pageSize` from afterSeq to uptoSeq. Up to
 * `parallel` ranges are fetched at once (each on its own pooled connection, so Postgres works on
 * them on other cores) while the caller consumes the current one; memory stays at a few pages.
 * (Measured: plain rows beat a page assembled as one JSON text by Postgres, whose string
 * building costs more in the database than it saves in the driver.)
 */
export async function* streamAuditPages(
  db: Db,
  tenant: string,
  opts: { uptoSeq: number; filter?: AuditRowFilter; pageSize?: number; afterSeq?: number; parallel?: number },
): AsyncGenerator<AuditRowRead[]> {
  for await (const page of streamAuditRawPages(db, tenant, opts)) yield page.map((r) => arrayToRead(tenant, r));
}

/**
 * As streamAuditPages, each record as its column values in RECORD_COLUMNS order (arrayToRead
 * makes a record of one). On Postgres these are the raw texts the server sent (`raw: true`):
 * what chain verification hashes without decoding.
 */
export async function* streamAuditRawPages(
  db: Db,
  tenant: string,
  opts: { uptoSeq: number; filter?: AuditRowFilter; pageSize?: number; afterSeq?: number; parallel?: number },
): AsyncGenerator<unknown[][]> {
  const size = opts.pageSize ?? 5000;
  const parallel = db.sql.kind === "pglite" ? 1 : Math.max(1, opts.parallel ?? 2);
  const fetchRange = (from: number): Promise<unknown[][]> => {
    const params: unknown[] = [];
    const where = whereOf(tenant, opts.filter ?? {}, params);
    params.push(String(from), String(Math.min(opts.uptoSeq, from + size)));
    const n = params.length;
    return queryRecordArrays(
      db,
      `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE ${where} AND seq > $${n - 1}::bigint AND seq <= $${n}::bigint ORDER BY audit_records.seq`,
      params,
    );
  };
  const queue: Promise<unknown[][]>[] = [];
  let next = opts.afterSeq ?? 0;
  const fill = () => {
    while (queue.length < parallel && next < opts.uptoSeq) {
      const p = fetchRange(next);
      p.catch(() => {}); // surfaced when awaited
      queue.push(p);
      next += size;
    }
  };
  fill();
  while (queue.length > 0) {
    const page = await queue.shift()!;
    fill();
    if (page.length) yield page;
  }
}

/**
 * How a worker thread reads ranges of a tenant's records itself (audit verification): the
 * database URL, where the `pg` driver is (a worker resolves nothing by itself when it runs from
 * source text) and the statement (parameters: tenant, after seq, up to seq; raw texts in
 * RECORD_COLUMNS order). Null on PGlite, or where the driver cannot be located.
 */
export function auditRangeReader(db: Db): { url: string; pgPath: string; sql: string; copySql: string; width: number } | null {
  if (db.sql.kind !== "postgres" || !db.sql.connectionUrl) return null;
  const pgPath = driverPath();
  if (pgPath === null) return null;
  return {
    url: db.sql.connectionUrl,
    pgPath,
    sql: `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE tenant_id = $1 AND seq > $2::bigint AND seq <= $3::bigint ORDER BY audit_records.seq`,
    // COPY takes no parameters: the worker writes the tenant as an escaped literal, seqs as integers.
    copySql: `COPY (SELECT ${RECORD_COLUMNS} FROM audit_records WHERE tenant_id = $1 AND seq > $2::bigint AND seq <= $3::bigint ORDER BY audit_records.seq) TO STDOUT`,
    width: RECORD_COLUMN_COUNT,
  };
}

const PG_DRIVER = "pg";

/**
 * The driver's file, from this module (tsx, vitest) or else from the working directory: a
 * bundler may replace a literal resolve("pg") with its own module id (Next does), which is no
 * path a worker can load.
 */
function driverPath(): string | null {
  for (const base of [import.meta.url, pathToFileURL(path.join(process.cwd(), "package.json")).href]) {
    try {
      const found: unknown = createRequire(base).resolve(PG_DRIVER);
      if (typeof found === "string") return found;
    } catch {
      // not from here: the next base
    }
  }
  return null;
}

export async function listCheckpointRows(db: Db, tenant: string, opts: { after?: number; upto?: number; limit?: number } = {}): Promise<CheckpointRow[]> {
  const params: unknown[] = [tenant, String(opts.after ?? -1)];
  let sql = `SELECT seq::text AS seq, hash, to_char(at, ${ISO}) AS at, key_id, signature FROM audit_checkpoints WHERE tenant_id = $1 AND seq > $2::bigint`;
  if (opts.upto !== undefined) {
    params.push(String(opts.upto));
    sql += ` AND seq <= $${params.length}::bigint`;
  }
  sql += " ORDER BY audit_checkpoints.seq ASC";
  if (opts.limit !== undefined) {
    params.push(opts.limit);
    sql += ` LIMIT $${params.length}`;
  }
  return (await db.sql.query(sql, params)).map(toCheckpoint);
}

/** Tenants that have an audit chain (for `canopy audit verify` without --tenant). */
export async function listAuditTenants(db: Db): Promise<string[]> {
  const rows = await db.sql.query(`SELECT tenant_id FROM audit_chain_heads ORDER BY tenant_id`);
  return rows.map((r) => r.tenant_id as string);
}
