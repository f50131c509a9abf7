import { Worker } from "node:worker_threads";
import { AppError } from "@/lib/errors";
import { recordHash } from "./hash";
import { type AuditRecordView, GENESIS_HASH } from "./schemas";
import { checkRawRange, copyRowsQuery, rangeChecker, type RangeSummary, VERIFY_ROW_FUNCTIONS } from "./verify-rows";

/**
 * Worker threads that check ranges of records (verify-rows.ts), so a long chain is hashed on
 * every core. A worker reads its ranges itself as `COPY … TO STDOUT` text and checks each record
 * as it arrives (copyRowsQuery, rangeChecker): a query result would cost a string per field and
 * keep the whole range alive until checked, which measured slower by about a third. The workers run from source text (the functions' own text, see
 * verify-rows.ts): a worker FILE cannot be found the same way under tsx, vitest and Next's
 * bundles. A pool checks each worker with a known range (and, when it reads ranges itself, a
 * read of the database) before use; one that fails that check is not used (the caller then
 * hashes in its own thread). A worker that fails later fails every
 * range it held and every range asked after: verification then fails closed, never "valid".
 */

/** Where workers read records themselves (auditRangeReader); without it they check what they are sent. */
export interface RangeReader {
  url: string;
  pgPath: string;
  /** Parameters: tenant, after seq, up to seq; raw texts in RECORD_COLUMNS order. */
  sql: string;
  /**
   * The same rows as `COPY (…) TO STDOUT` text, `$1` (tenant), `$2`, `$3` (seqs) substituted by
   * the worker as literals; `width` fields a row. Without it workers run `sql`.
   */
  copySql?: string;
  width?: number;
}

/** The workers' program: the functions of verify-rows.ts and a message loop. */
export function workerSource(): string {
  // Declarations call one another by name, whatever names a minifier gave them: the text carries them.
  const helpers = VERIFY_ROW_FUNCTIONS.map((f) => f.toString()).join("\n");
  return `"use strict";
var __name = function (f) { return f; }; // esbuild's keepNames helper, when a transpiler left calls to it
const { parentPort, workerData } = require("node:worker_threads");
const crypto = require("node:crypto");
const sha256Hex = typeof crypto.hash === "function" ? (t) => crypto.hash("sha256", t, "hex") : (t) => crypto.createHash("sha256").update(t).digest("hex");
${helpers}
const check = ${checkRawRange.name};
const reader = workerData && workerData.reader;
const RAW = { getTypeParser: () => (v) => v };
let client = null;
function connection() {
  if (!client) {
    const pg = require(reader.pgPath);
    const c = new pg.Client({ connectionString: reader.url });
    client = c.connect().then(() => c);
    c.on("error", () => {}); // the query in flight rejects; the pool fails closed
  }
  return client;
}
// Reads and checks a range: as COPY text, each record checked as it arrives (copyRowsQuery, rangeChecker).
async function readAndCheck(tenant, from, to, cpSeqs) {
  const c = await connection();
  if (!reader.copySql) {
    const rows = (await c.query({ text: reader.sql, values: [tenant, String(from), String(to)], rowMode: "array", types: RAW })).rows;
    return checked(rows, tenant, cpSeqs);
  }
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new Error("range bounds must be integers");
  const text = reader.copySql.replace("$1", () => c.escapeLiteral(tenant)).replace("$2", () => String(from)).replace("$3", () => String(to));
  const checker = ${rangeChecker.name}(tenant, cpSeqs, sha256Hex);
  const q = ${copyRowsQuery.name}(text, reader.width, (f) => { checker.push(f); });
  c.query(q);
  await q.done;
  return { summary: checker.summary(), declinedRows: checker.declinedRows };
}
function checked(rows, tenant, cpSeqs) {
  const summary = check(rows, tenant, cpSeqs, sha256Hex);
  return { summary, declinedRows: summary.declined.map((i) => rows[i]) };
}
parentPort.on("message", async (m) => {
  try {
    // The self-test also proves this worker can read ranges (driver found, database reachable).
    if (m.probe && reader) await readAndCheck(m.tenant, 0, 0, []);
    const { summary, declinedRows } = m.rows ? checked(m.rows, m.tenant, m.cpSeqs) : await readAndCheck(m.tenant, m.from, m.to, m.cpSeqs);
    parentPort.postMessage({ id: m.id, summary, declinedRows });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
  }
});`;
}

export interface VerifyPoolOptions {
  size: number;
  /** Workers read their ranges from the database themselves (else they are sent the records). */
  reader?: RangeReader;
  /** Worker source; tests give a faulty one. */
  source?: string;
  /** Young-generation size of each worker (MB): a range's records then die young, never copied. */
  youngGenerationMb?: number;
}

/** A checked range; declinedRows are the records at summary.declined (for the caller to hash). */
export interface RangeResult {
  summary: RangeSummary;
  declinedRows: unknown[][];
}

interface Task {
  resolve: (s: RangeResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
  /** Only a live worker's failure fails the pool (one that failed its self-test is just dropped). */
  live: boolean;
}

export function verifyWorkerFailed(detail: string): AppError {
  return new AppError(500, "audit_verify_failed", `audit chain verification could not complete: ${detail}; the chain was NOT verified (run it again; if it keeps failing, set AUDIT_VERIFY_WORKERS=0 to verify in the server's own thread)`);
}

/** A known-good range (hashed by the caller with the definition) every worker must pass before use. */
export interface SelfTest {
  rows: (string | null)[][];
  tenant: string;
  cpSeqs: number[];
}

/** Three records hashed with recordHash (the definition), as the database's texts would carry them. */
export function selfTestRange(): SelfTest {
  const tenant = "self-test \u00e9\u{1F600}";
  const rows: (string | null)[][] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= 3; seq++) {
    const args = { zeta: [1, -2.5, 1e21, "a\"b\n\u2028"], "é": { b: true, a: null }, n: seq };
    const r: AuditRecordView = {
      tenant, seq, prev_hash: prev, hash: "", kind: "tool_decision", ts: `2026-01-01T00:00:0${seq}.000Z`, trace_id: null, subject: "agent \"x\"",
      tool: "fs.write", args_digest: "d".repeat(64), args, decision: "allow", rule: "r", reason: "because\tyes", policy_version: 3, approval_id: null,
      latency_ms: 0.1 * seq, upstream_outcome: "ok", data: seq === 2 ? { trace: [] } : null,
    };
    r.hash = recordHash(r);
    prev = r.hash;
    const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
    rows.push([
      String(seq), r.prev_hash, r.hash, r.kind, r.ts, text(r.trace_id), text(r.subject), text(r.tool), text(r.args_digest), JSON.stringify(r.args), text(r.decision),
      text(r.rule), text(r.reason), text(r.policy_version), text(r.approval_id), text(r.latency_ms), text(r.upstream_outcome), r.data === null ? null : JSON.stringify(r.data),
    ]);
  }
  return { rows, tenant, cpSeqs: [2] };
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private next = 0;
  private seq = 0;
  private failure: AppError | null = null;
  private closed = false;

  private constructor() {}

  /**
   * Starts `size` workers and checks each with `selfTest`; resolves null when none pass (the
   * caller then verifies in its own thread) or size is 0.
   */
  static async start(o: VerifyPoolOptions, selfTest: SelfTest): Promise<VerifyPool | null> {
    if (o.size <= 0) return null;
    const pool = new VerifyPool();
    const source = o.source ?? workerSource();
    const started = await Promise.all(
      Array.from({ length: o.size }, async () => {
        let worker: Worker;
        try {
          worker = new Worker(source, { eval: true, workerData: { reader: o.reader ?? null }, resourceLimits: { maxYoungGenerationSizeMb: o.youngGenerationMb ?? 48 } });
        } catch {
          return null;
        }
        worker.unref();
        const slot: Slot = { worker, tasks: new Map(), live: false };
        pool.attach(slot);
        try {
          const { summary: s } = await pool.runOn(slot, { rows: selfTest.rows, tenant: selfTest.tenant, cpSeqs: selfTest.cpSeqs, probe: true });
          if (s.bad || s.declined.length > 0 || s.n !== selfTest.rows.length) throw new Error("self-test failed");
          slot.live = true;
          return slot;
        } catch {
          void worker.terminate();
          return null;
        }
      }),
    );
    for (const s of started) if (s) pool.slots.push(s);
    if (pool.slots.length === 0) return null;
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  private attach(slot: Slot) {
    const fail = (detail: string) => {
      const err = verifyWorkerFailed(detail);
      if (slot.live) this.failure ??= err;
      for (const t of slot.tasks.values()) t.reject(this.failure ?? err);
      slot.tasks.clear();
    };
    slot.worker.on("message", (m: { id: number; summary?: RangeSummary; declinedRows?: unknown[][]; error?: string }) => {
      const t = slot.tasks.get(m.id);
      slot.tasks.delete(m.id);
      if (m.summary) t?.resolve({ summary: m.summary, declinedRows: m.declinedRows ?? [] });
      else t?.reject(verifyWorkerFailed(`a verification worker could not check a range (${m.error})`));
    });
    slot.worker.on("error", (err) => fail(`a verification worker failed (${err instanceof Error ? err.message : String(err)})`));
    slot.worker.on("exit", (code) => {
      if (!this.closed) fail(`a verification worker exited (code ${code})`);
    });
  }

  private runOn(slot: Slot, task: { rows?: unknown[][]; from?: number; to?: number; tenant: string; cpSeqs: number[]; probe?: boolean }): Promise<RangeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      slot.tasks.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...task });
    });
  }

  /** Checks records sent to it, on the next worker (round robin); rejects (fail closed) once any worker failed. */
  run(rows: unknown[][], tenant: string, cpSeqs: number[]): Promise<RangeResult> {
    return this.next_().then((slot) => this.runOn(slot, { rows, tenant, cpSeqs }));
  }

  /** Reads and checks the tenant's records with seq in (from, to] (a pool started with a reader). */
  runRange(tenant: string, from: number, to: number, cpSeqs: number[]): Promise<RangeResult> {
    return this.next_().then((slot) => this.runOn(slot, { from, to, tenant, cpSeqs }));
  }

  private next_(): Promise<Slot> {
    if (this.closed) return Promise.reject(verifyWorkerFailed("the verification pool is closed"));
    return Promise.resolve(this.slots[this.next++ % this.slots.length]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
