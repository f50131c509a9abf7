import type { Db } from "@/lib/db/client";
import {
  type AuditRow,
  type AuditRowFilter,
  type AuditRowRead,
  auditTransaction,
  type Queryer,
  getChainHead,
  getChainState,
  insertAuditBatch,
  insertAuditBatchOnce,
  insertCheckpoint,
  lastCheckpoint,
  listCheckpointRows,
  lockChainHead,
  searchAuditRows,
  streamAuditPages,
  streamAuditRawPages,
  arrayToRead,
  auditRangeReader,
} from "@/lib/db/audit-records";
import { AppError, isAppError } from "@/lib/errors";
import { checkpointLine, headerLine, headLine, recordLine } from "./export-format";
import { fastDigest, keyId, recordHash, sha256HexOf, signCheckpoint } from "./hash";
import { type RedactionConfig, Redactor } from "./redact";
import {
  type AuditFilter,
  type AuditInput,
  auditInputSchema,
  type AuditPage,
  type AuditRecordView,
  type AuditSearchQuery,
  type CheckpointView,
  GENESIS_HASH,
  type VerifyResult,
} from "./schemas";
import { ChainVerifier } from "./verify";
import { type RangeResult, selfTestRange, VerifyPool } from "./verify-pool";
import { checkRawRange, type RangeSummary } from "./verify-rows";

/** How long a deferred append waits for an urgent one to commit with (AuditLogOptions.deferMs). */
export const DEFAULT_DEFER_MS = 50;

/** Bound on verification worker threads (AUDIT_VERIFY_WORKERS). */
export const MAX_VERIFY_WORKERS = 32;

export interface AuditLogOptions {
  /** The database (or how to open it: the app's getDb). */
  db: Db | (() => Promise<Db>);
  /** Ed25519 PEMs of the server's audit key. */
  privateKeyPem: string;
  publicKeyPem: string;
  /** Older public keys still accepted when verifying (after a key rotation). */
  extraPublicKeys?: string[];
  /** Server secret the per-tenant redaction HMAC keys derive from. */
  redactionSecret: string;
  /** Sensitive keys and value patterns (AUDIT_REDACT_KEYS, AUDIT_REDACT_VALUE_PATTERNS); the defaults when absent. */
  redaction?: RedactionConfig;
  checkpointEvery: number;
  checkpointSeconds: number;
  /** An append that is not durable within this long rejects (fail closed). */
  timeoutMs: number;
  /** Records per group-commit transaction at most. */
  maxBatch?: number;
  /**
   * Group-commit transactions per tenant in flight at once (default 2): the next batch is hashed
   * from the head the previous one will leave and sent while that one commits; it waits on the
   * head row's lock and checks the head, so when the previous one fails it re-reads and re-hashes.
   */
  pipelineDepth?: number;
  /**
   * How long a deferred append (a forwarded call's outcome record) may wait for an urgent one to
   * ride along with (default 50 ms): at a steady rate the outcome of one call commits with the
   * next call's decision record, one commit where there were two.
   */
  deferMs?: number;
  now?: () => Date;
  onBackgroundError?: (err: unknown, what: string) => void;
  /**
   * Worker threads that hash a chain being verified (AUDIT_VERIFY_WORKERS; 0: in the calling
   * thread). Default 0 here; the server's composition root sizes it to the cores.
   */
  verifyWorkers?: number;
  /** Starts the verification workers (tests give a faulty pool); VerifyPool.start by default. */
  startVerifyPool?: typeof VerifyPool.start;
  /** Called with each record once durable (AUDIT_PATH's JSON-lines copy); must not throw or block. */
  onAppended?: (record: AuditRecordView) => void;
}

interface Pending {
  fields: Omit<AuditRecordView, "tenant" | "seq" | "prev_hash" | "hash">;
  argsText: string | null;
  dataText: string | null;
  resolve: (v: AuditRecordView) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout> | null;
  state: "queued" | "taken" | "settled";
  /** Written with the next urgent append of the tenant, or after deferMs (see append's `defer`). */
  deferred: boolean;
}

interface Chain {
  queue: Pending[];
  /** A pump is scheduled for this turn of the event loop. */
  scheduled: boolean;
  /** Transactions in flight, and how many were started (the latest one owns the head). */
  inflight: number;
  started: number;
  /** The head as this process last committed it (null: unknown, read it under the lock). */
  head: { seq: number; hash: string } | null;
  lastCp: { seq: number; atMs: number } | null;
  cpTimer: ReturnType<typeof setTimeout> | null;
  /** Queued entries that are not deferred: while there are none, deferred ones wait (deferTimer). */
  urgent: number;
  deferTimer: ReturnType<typeof setTimeout> | null;
  /** The deferred entries have waited long enough: write them without an urgent one. */
  deferDue: boolean;
}

const NUL = /\u0000/g;
// A JSON "\u0000" escape that is not itself an escaped backslash followed by "u0000".
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

function text(v: string | null | undefined): string | null {
  return v === undefined || v === null ? null : v.replace(NUL, "\uFFFD");
}

/** JSON text as stored (jsonb rejects NUL characters, so they become U+FFFD). */
function jsonText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = JSON.stringify(v);
  if (s === undefined) return null;
  return s.includes("\\u0000") ? s.replace(NUL_ESCAPE, "$1\\ufffd") : s;
}

export function auditUnavailable(message: string, cause?: unknown): AppError {
  const err = new AppError(503, "audit_unavailable", message);
  if (cause !== undefined) (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

// Built member by member (no object spread): a batch builds two objects per record, and spreads
// of 15 members showed in profiles of the append path.
function viewOf(tenant: string, seq: number, prevHash: string, f: Pending["fields"]): AuditRecordView {
  return {
    tenant,
    seq,
    prev_hash: prevHash,
    hash: "",
    kind: f.kind,
    ts: f.ts,
    trace_id: f.trace_id,
    subject: f.subject,
    tool: f.tool,
    args_digest: f.args_digest,
    args: f.args,
    decision: f.decision,
    rule: f.rule,
    reason: f.reason,
    policy_version: f.policy_version,
    approval_id: f.approval_id,
    latency_ms: f.latency_ms,
    upstream_outcome: f.upstream_outcome,
    data: f.data,
  };
}

function rowOf(v: AuditRecordView, p: Pick<Pending, "argsText" | "dataText">): AuditRow {
  return {
    seq: v.seq,
    prev_hash: v.prev_hash,
    hash: v.hash,
    kind: v.kind,
    ts: v.ts,
    trace_id: v.trace_id ?? null,
    subject: v.subject ?? null,
    tool: v.tool ?? null,
    args_digest: v.args_digest ?? null,
    args: p.argsText,
    decision: v.decision ?? null,
    rule: v.rule ?? null,
    reason: v.reason ?? null,
    policy_version: v.policy_version ?? null,
    approval_id: v.approval_id ?? null,
    latency_ms: v.latency_ms ?? null,
    upstream_outcome: v.upstream_outcome ?? null,
    data: p.dataText,
  };
}

function rowView(r: AuditRowRead): AuditRecordView {
  return r;
}

function cpView(tenant: string, c: { seq: number; hash: string; at: string; key_id: string; signature: string }): CheckpointView {
  return { tenant, ...c };
}

function rowFilter(f: AuditFilter): AuditRowFilter {
  const { tenant: _t, ...rest } = f;
  return rest;
}

function hasFilters(f: AuditFilter): boolean {
  return Object.entries(f).some(([k, v]) => k !== "tenant" && v !== undefined && !(Array.isArray(v) && v.length === 0));
}

/**
 * The tamper-evident audit log: one hash chain per tenant, appended with group commit.
 *
 * Every append joins the tenant's queue; one transaction at a time per tenant and process takes
 * the whole queue (up to maxBatch), locks the tenant's chain head row (so writers in other
 * processes wait their turn), numbers and hashes the records from the head, inserts them with
 * one statement, moves the head and, when due, stores a signed checkpoint. Each caller's promise
 * resolves only after that transaction has committed; a failed or timed-out transaction rejects
 * every caller in it (fail closed).
 */
export class AuditLog {
  private readonly chains = new Map<string, Chain>();
  private readonly redactor: Redactor;
  private dbPromise: Promise<Db> | null = null;
  private closed = false;
  /** Outcome of the latest writes, for health checks (a load balancer must see a log that cannot write). */
  private lastWriteOk: { n: number; at: number } | null = null;
  private lastWriteFailure: { n: number; at: number; message: string } | null = null;
  private writeEvents = 0;

  constructor(private readonly o: AuditLogOptions) {
    this.redactor = new Redactor(o.redactionSecret, o.redaction);
  }

  private db(): Promise<Db> {
    if (typeof this.o.db !== "function") return Promise.resolve(this.o.db);
    this.dbPromise ??= this.o.db().catch((err) => {
      this.dbPromise = null;
      throw err;
    });
    return this.dbPromise;
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  private chain(tenant: string): Chain {
    let c = this.chains.get(tenant);
    if (!c) {
      c = { queue: [], scheduled: false, inflight: 0, started: 0, head: null, lastCp: null, cpTimer: null, urgent: 0, deferTimer: null, deferDue: false };
      this.chains.set(tenant, c);
    }
    return c;
  }

  /** Validates and redacts a record: what a queued append and an in-transaction append both store. */
  private prepare(input: AuditInput): { tenant: string; fields: Pending["fields"]; argsText: string | null; dataText: string | null } {
    const i = auditInputSchema.parse(input);
    // Args, data and the free-text reason are redacted together: a secret under a sensitive key
    // of the args is masked where the data (a policy trace) or the reason echoes it too.
    const scope = this.redactor.scope(i.tenant).remember(i.args, i.data);
    const argsText = i.args === undefined ? null : jsonText(scope.value(i.args));
    const dataText = i.data === undefined ? null : jsonText(scope.value(i.data));
    const reason = scope.text(i.reason);
    return {
      tenant: i.tenant,
      fields: {
        kind: i.kind,
        ts: (i.ts ?? this.now()).toISOString(),
        trace_id: text(i.traceId),
        subject: text(i.subject),
        tool: text(i.tool),
        args_digest: i.args !== undefined ? fastDigest(i.args) : (i.argsDigest ?? null),
        args: argsText === null ? null : JSON.parse(argsText),
        decision: text(i.decision),
        rule: text(i.rule),
        reason: text(reason),
        policy_version: i.policyVersion ?? null,
        approval_id: text(i.approvalId),
        latency_ms: i.latencyMs ?? null,
        upstream_outcome: text(i.upstreamOutcome),
        data: dataText === null ? null : JSON.parse(dataText),
      },
      argsText,
      dataText,
    };
  }

  /**
   * Appends one record; resolves with it once durable. Rejects (503 audit_unavailable) otherwise.
   *
   * `defer`: for a record nothing waits on (a forwarded call's outcome): it is validated and
   * redacted after the current turn of the event loop (off the answer's path) and written with
   * the tenant's next urgent append (before it in the chain), or after deferMs when none comes.
   * An urgent append never waits for a batch window: it goes at once, taking deferred ones along.
   */
  append(input: AuditInput, opts: { defer?: boolean } = {}): Promise<AuditRecordView> {
    if (this.closed) return Promise.reject(auditUnavailable("the audit log is closed"));
    if (!opts.defer) return new Promise<AuditRecordView>((resolve, reject) => this.enqueue(input, false, resolve, reject));
    // The record's time is the event's, not that of the turn it is prepared in.
    const dated: AuditInput = input.ts === undefined ? { ...input, ts: this.now() } : input;
    return new Promise<AuditRecordView>((resolve, reject) => {
      setImmediate(() => {
        try {
          this.enqueue(dated, true, resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  private enqueue(input: AuditInput, deferred: boolean, resolve: (v: AuditRecordView) => void, reject: (e: unknown) => void): void {
    const { tenant, fields, argsText, dataText } = this.prepare(input);
    const pending: Pending = { fields, argsText, dataText, resolve, reject, timer: null, state: "queued", deferred };
    pending.timer = setTimeout(() => {
      if (pending.state === "settled") return;
      const wasQueued = pending.state === "queued";
      pending.state = "settled";
      const err = auditUnavailable(
        wasQueued
          ? `the audit log did not accept the record within ${this.o.timeoutMs} ms (it was not written)`
          : `the audit log did not confirm the record within ${this.o.timeoutMs} ms`,
      );
      this.noteWrite(err);
      reject(err);
    }, this.o.timeoutMs);
    const chain = this.chain(tenant);
    chain.queue.push(pending);
    if (!deferred) chain.urgent++;
    this.schedule(tenant, chain);
  }

  /**
   * Appends one record inside the caller's open transaction (`q`), so the record commits or rolls
   * back with the caller's own writes: spending an approval and recording the call it allows are
   * one commit. Takes the tenant's head lock (waiting behind batches in flight, at most timeoutMs)
   * and hashes from the head it finds. This process's pipelined head is forgotten: the next batch
   * re-reads it, as after another process's append. Call `committed` with the record once the
   * caller's transaction has committed.
   */
  async appendInTransaction(q: Queryer, input: AuditInput): Promise<AuditRecordView> {
    if (this.closed) throw auditUnavailable("the audit log is closed");
    const { tenant, fields, argsText, dataText } = this.prepare(input);
    const chain = this.chain(tenant);
    chain.head = null;
    const ms = Math.max(1, Math.floor(this.o.timeoutMs));
    await q(`SET LOCAL lock_timeout = ${ms}`);
    const head = await lockChainHead(q, tenant, GENESIS_HASH);
    const view = viewOf(tenant, head.seq + 1, head.hash, fields);
    view.hash = recordHash(view);
    await insertAuditBatch(q, tenant, [rowOf(view, { argsText, dataText })]);
    // A batch pipelined meanwhile may have read the old head: it fails its check and re-reads.
    chain.head = null;
    return view;
  }

  /** After the transaction that held appendInTransaction's record committed. */
  committed(view: AuditRecordView): void {
    this.noteWrite(null);
    this.o.onAppended?.(view);
    const chain = this.chain(view.tenant);
    if (chain.lastCp) this.scheduleCheckpoint(view.tenant, chain, view.seq);
  }

  private schedule(tenant: string, chain: Chain) {
    if (chain.scheduled) return;
    chain.scheduled = true;
    // setImmediate: every append issued in this turn of the event loop joins the batch.
    setImmediate(() => {
      chain.scheduled = false;
      this.pump(tenant, chain);
    });
  }

  /** Starts batches while fewer than pipelineDepth transactions of the tenant are in flight. */
  private pump(tenant: string, chain: Chain): void {
    const max = this.o.maxBatch ?? 1000;
    const depth = Math.max(1, this.o.pipelineDepth ?? 2);
    while (chain.inflight < depth && chain.queue.length > 0) {
      // Only deferred records queued: they wait for an urgent one, or for their time.
      if (chain.urgent === 0 && !chain.deferDue && !this.closed && chain.queue.length < max) {
        this.armDeferred(tenant, chain);
        break;
      }
      // Pipelining needs the head the batches in flight will leave. Unknown (at start, after a
      // failure, or after another process appended), one batch at a time until one re-reads it:
      // else every batch would start from a head nobody knows and take the slow path forever.
      if (chain.head === null && chain.inflight > 0) break;
      const batch: Pending[] = [];
      while (batch.length < max && chain.queue.length > 0) {
        const p = chain.queue.shift()!;
        if (!p.deferred) chain.urgent--;
        if (p.state !== "queued") continue; // timed out while waiting: never written
        p.state = "taken";
        batch.push(p);
      }
      if (chain.queue.length === 0) {
        chain.deferDue = false;
        if (chain.deferTimer) clearTimeout(chain.deferTimer);
        chain.deferTimer = null;
      }
      if (batch.length === 0) continue;
      chain.inflight++;
      const n = ++chain.started;
      this.flush(tenant, chain, batch, n)
        .then(
          (views) => {
            this.noteWrite(null);
            batch.forEach((p, i) =>
              this.settle(p, () => {
                this.o.onAppended?.(views[i]);
                p.resolve(views[i]);
              }),
            );
          },
          (err: unknown) => {
            const e = isAppError(err) ? err : auditUnavailable(`the audit log could not record this: ${(err as Error).message}`, err);
            this.noteWrite(e);
            for (const p of batch) this.settle(p, () => p.reject(e));
          },
        )
        .finally(() => {
          chain.inflight--;
          if (chain.queue.length > 0) this.schedule(tenant, chain);
        });
    }
  }

  private armDeferred(tenant: string, chain: Chain): void {
    if (chain.deferTimer) return;
    chain.deferTimer = setTimeout(() => {
      chain.deferTimer = null;
      chain.deferDue = true;
      this.schedule(tenant, chain);
    }, Math.max(0, this.o.deferMs ?? DEFAULT_DEFER_MS));
  }

  private noteWrite(err: Error | null) {
    const event = { n: ++this.writeEvents, at: Date.now() };
    if (err) this.lastWriteFailure = { ...event, message: err.message };
    else this.lastWriteOk = event;
  }

  /**
   * Write health of this process's log: not ok when the latest write failed and none succeeded
   * since (the next successful write makes it ok again). No write yet counts as ok.
   */
  writeHealth(): { ok: boolean; error?: string; last_success_at: string | null; last_failure_at: string | null } {
    const f = this.lastWriteFailure;
    const s = this.lastWriteOk;
    const ok = !f || (s !== null && s.n > f.n);
    return {
      ok,
      ...(ok ? {} : { error: `the latest audit write failed and none succeeded since: ${f!.message.replace(/\s+/g, " ").trim()}` }),
      last_success_at: s ? new Date(s.at).toISOString() : null,
      last_failure_at: f ? new Date(f.at).toISOString() : null,
    };
  }

  private settle(p: Pending, fn: () => void) {
    if (p.timer) clearTimeout(p.timer);
    if (p.state === "settled") return;
    p.state = "settled";
    fn();
  }

  private async flush(tenant: string, chain: Chain, batch: Pending[], n: number): Promise<AuditRecordView[]> {
    const now = this.now();
    // Numbers and hashes the batch from `head`; signs a checkpoint at its end when one is due.
    const build = (head: { seq: number; hash: string }, lastCp: { seq: number; atMs: number }) => {
      let seq = head.seq;
      let prev = head.hash;
      const views: AuditRecordView[] = [];
      const rows: AuditRow[] = [];
      for (const p of batch) {
        seq++;
        const view = viewOf(tenant, seq, prev, p.fields);
        view.hash = recordHash(view);
        prev = view.hash;
        views.push(view);
        rows.push(rowOf(view, p));
      }
      const due = seq - lastCp.seq >= this.o.checkpointEvery || now.getTime() - lastCp.atMs >= this.o.checkpointSeconds * 1000;
      const cp = due ? signCheckpoint({ tenant, seq, hash: prev, at: now.toISOString() }, this.o.privateKeyPem) : undefined;
      return { views, rows, cp, seq, hash: prev };
    };
    const cpRow = (cp: CheckpointView | undefined) => cp && { seq: cp.seq, hash: cp.hash, at: cp.at, key_id: cp.key_id, signature: cp.signature };
    // The head this process last committed: hash before taking the lock, and lock, check, insert
    // and move the head in one statement. If another process appended meanwhile, the statement
    // writes nothing and returns the real head, still locked: the batch is re-hashed from it.
    // Synchronously, before any await: the next batch started meanwhile hashes from this one's end.
    const known = chain.head && chain.lastCp ? { head: chain.head, lastCp: chain.lastCp } : null;
    const early = known ? build(known.head, known.lastCp) : null;
    // The head this batch will leave if it commits as built; unknown (null) until then otherwise.
    chain.head = early ? { seq: early.seq, hash: early.hash } : null;
    if (early?.cp) chain.lastCp = { seq: early.seq, atMs: now.getTime() };
    const latest = () => chain.started === n;
    let result: Awaited<ReturnType<typeof build>>;
    try {
      const db = await this.db();
      // The common case in one round trip; else (another process appended meanwhile, or the
      // head is unknown) a transaction that locks the head and hashes the batch from it.
      const fast = known && early ? await insertAuditBatchOnce(db, this.o.timeoutMs, tenant, known.head, early.rows, cpRow(early.cp)) : null;
      // Not written as built: every batch built on this one's end is wrong too.
      if (fast && !fast.inserted) chain.head = null;
      result =
        fast?.inserted && early
          ? early
          : await auditTransaction(db, this.o.timeoutMs, async (q) => {
              const head = await lockChainHead(q, tenant, GENESIS_HASH);
              if (!chain.lastCp) {
                const last = await lastCheckpoint(q, tenant);
                chain.lastCp = last ? { seq: last.seq, atMs: Date.parse(last.at) } : { seq: head.seq, atMs: now.getTime() };
              }
              const b = build(head, chain.lastCp);
              await insertAuditBatch(q, tenant, b.rows, cpRow(b.cp));
              return b;
            });
    } catch (err) {
      // A later batch built on this one's end finds the head elsewhere, and re-reads it.
      chain.head = null;
      throw err;
    }
    // Only the latest batch says where the head is: an earlier one's end is already built upon.
    if (latest()) chain.head = { seq: result.seq, hash: result.hash };
    if (result.cp && latest()) chain.lastCp = { seq: result.seq, atMs: now.getTime() };
    this.scheduleCheckpoint(tenant, chain, result.seq);
    return result.views;
  }

  /** Records exist past the last checkpoint: sign one when checkpointSeconds have passed. */
  private scheduleCheckpoint(tenant: string, chain: Chain, headSeq: number) {
    if (chain.cpTimer || this.closed || !chain.lastCp || headSeq <= chain.lastCp.seq) return;
    const wait = Math.max(0, chain.lastCp.atMs + this.o.checkpointSeconds * 1000 - this.now().getTime());
    chain.cpTimer = setTimeout(() => {
      chain.cpTimer = null;
      this.checkpointNow(tenant).catch((err) => this.o.onBackgroundError?.(err, "audit checkpoint"));
    }, wait);
    chain.cpTimer.unref?.();
  }

  /** Signs and stores a checkpoint at the tenant's current head, unless one is already there. */
  async checkpointNow(tenant: string): Promise<CheckpointView | null> {
    const db = await this.db();
    const now = this.now();
    const chain = this.chain(tenant);
    const cp = await auditTransaction(db, this.o.timeoutMs, async (q) => {
      const head = await lockChainHead(q, tenant, GENESIS_HASH);
      const last = await lastCheckpoint(q, tenant);
      if (head.seq === 0 || (last && last.seq >= head.seq)) return null;
      const signed = signCheckpoint({ tenant, seq: head.seq, hash: head.hash, at: now.toISOString() }, this.o.privateKeyPem);
      await insertCheckpoint(q, tenant, signed);
      return signed;
    });
    if (cp) chain.lastCp = { seq: cp.seq, atMs: now.getTime() };
    return cp;
  }

  /** Newest first, keyset-paginated. */
  async search(tenant: string, query: AuditSearchQuery): Promise<AuditPage> {
    const db = await this.db();
    const rows = await searchAuditRows(db, tenant, rowFilter(query), {
      before: query.cursor ? Number(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { records: page.map(rowView), next_cursor: more ? String(page[page.length - 1].seq) : null };
  }

  async checkpoints(tenant: string, opts: { after?: number; limit?: number } = {}): Promise<CheckpointView[]> {
    const db = await this.db();
    return (await listCheckpointRows(db, tenant, { after: opts.after, limit: opts.limit ?? 100 })).map((c) => cpView(tenant, c));
  }

  publicKeys(): string[] {
    return [this.o.publicKeyPem, ...(this.o.extraPublicKeys ?? [])];
  }

  /** Recomputes the tenant's whole chain from the database (streamed) against its signed checkpoints. */
  async verify(tenant: string, opts: { pageSize?: number; parallel?: number; publicKeys?: string[]; workers?: number } = {}): Promise<VerifyResult> {
    const started = performance.now();
    const workers = Math.max(0, Math.min(MAX_VERIFY_WORKERS, opts.workers ?? this.o.verifyWorkers ?? 0));
    // Pages of 500 records, four fetched at once (each on its own pooled connection, so
    // Postgres produces them while this thread parses and the workers hash); a chain of two
    // pages or fewer is hashed here faster than workers start.
    const pageSize = opts.pageSize ?? 500;
    const db = await this.db();
    const state = (await getChainState(db, tenant)) ?? { seq: 0, hash: GENESIS_HASH, minSeq: null, maxSeq: null };
    const head = { seq: state.seq, hash: state.hash };
    const done = (r: VerifyResult): VerifyResult => ({ ...r, duration_ms: Math.round(performance.now() - started) });
    if (state.minSeq !== null && state.minSeq < 1) {
      return done({ ok: false, tenant, count: 0, seq: state.minSeq, problem: "inserted", message: `a record with seq ${state.minSeq} exists: chains start at 1` });
    }
    // Rows beyond the head (read in the same snapshot) were added outside the log.
    const upto = Math.max(head.seq, state.maxSeq ?? 0);
    const cps = (await listCheckpointRows(db, tenant)).map((c) => cpView(tenant, c));
    const beyond = cps.some((c) => c.seq > head.seq);
    const v = new ChainVerifier({
      publicKeys: opts.publicKeys ?? this.publicKeys(),
      checkpoints: cps,
      // A checkpoint beyond the head means the head row itself was moved back: judge by checkpoints.
      head: beyond ? undefined : head,
      tenant,
    });
    // Workers read and hash ranges of the chain in parallel; from the first range that does not
    // stitch cleanly (or without workers), this thread goes on page by page.
    const reader = workers > 0 && upto > pageSize * 2 ? auditRangeReader(db) : null;
    const pool = reader ? await (this.o.startVerifyPool ?? VerifyPool.start)({ size: workers, reader }, selfTestRange()) : null;
    try {
      const after = pool ? await this.verifyRanges(v, tenant, upto, cps, pool, pageSize * 4) : 0;
      if (!v.done && after < upto) {
        await this.verifyPages(v, streamAuditRawPages(db, tenant, { uptoSeq: upto, afterSeq: after, pageSize, parallel: opts.parallel ?? 4 }), tenant, cps);
      }
    } finally {
      await pool?.close();
    }
    return done(v.finish());
  }

  /**
   * Workers read and check consecutive seq ranges of `size` (in parallel, several in flight);
   * this thread stitches each to the chain at its seam, in order (pushRange). Returns the seq
   * after which records are still to check: upto when every range stitched, else the start of
   * the first that did not (the caller re-reads from there record by record). A worker's
   * failure rejects (fail closed).
   */
  private async verifyRanges(v: ChainVerifier, tenant: string, upto: number, cps: CheckpointView[], pool: VerifyPool, size: number): Promise<number> {
    const cpSeqs = cps.map((c) => c.seq).sort((a, b) => a - b);
    const pending: { from: number; result: Promise<RangeResult> }[] = [];
    let next = 0;
    for (;;) {
      while (pending.length < pool.size * 2 && next < upto) {
        const from = next;
        const to = Math.min(upto, from + size);
        const result = pool.runRange(tenant, from, to, cpSeqs.filter((q) => q > from && q <= to));
        result.catch(() => {}); // surfaced when its turn comes
        pending.push({ from, result });
        next = to;
      }
      const w = pending.shift();
      if (!w) return upto;
      const { summary, declinedRows } = await w.result;
      if (!this.stitch(v, tenant, summary, declinedRows)) return w.from;
    }
  }

  /** Applies a checked range to the verifier; false when it must be re-checked record by record. */
  private stitch(v: ChainVerifier, tenant: string, s: RangeSummary, declinedRows: unknown[][]): boolean {
    if (s.bad) return false;
    for (const raw of declinedRows) {
      const r = arrayToRead(tenant, raw);
      if (recordHash(r) !== r.hash) return false;
    }
    return v.pushRange(tenant, { ...s, declined: [] });
  }

  /**
   * Feeds pages of raw records (seq order) to the verifier in this thread: each page is checked
   * as a range (checkRawRange) and stitched at its seam; from the first page that does not
   * stitch cleanly on, records are pushed one by one, so whatever is wrong is found and
   * described exactly as a record-by-record pass would.
   */
  private async verifyPages(v: ChainVerifier, pages: AsyncIterable<unknown[][]>, tenant: string, cps: CheckpointView[]): Promise<void> {
    const cpSeqs = cps.map((c) => c.seq).sort((a, b) => a - b);
    let exact = false;
    for await (const rows of pages) {
      if (!exact) {
        const lo = Number((rows[0] as string[])[0]);
        const hi = Number((rows[rows.length - 1] as string[])[0]);
        const s = checkRawRange(rows as (string | null)[][], tenant, cpSeqs.filter((q) => q >= lo && q <= hi), sha256HexOf);
        if (this.stitch(v, tenant, s, s.declined.map((i) => rows[i]))) continue;
        exact = true;
      }
      for (const raw of rows) {
        v.push(arrayToRead(tenant, raw));
        if (v.done) return;
      }
    }
  }

  /**
   * The JSONL export (see export-format.ts), produced page by page. With filters, only the
   * matching records are written and the header says `partial: true`.
   */
  async *exportLines(tenant: string, filter: AuditFilter = {}, opts: { pageSize?: number } = {}): AsyncGenerator<string> {
    const db = await this.db();
    const head = (await getChainHead(db, tenant)) ?? { seq: 0, hash: GENESIS_HASH };
    const partial = hasFilters(filter);
    const now = this.now().toISOString();
    yield headerLine({
      tenant,
      exported_at: now,
      key_id: keyId(this.o.publicKeyPem),
      partial,
      filters: Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
    });
    for (const c of await listCheckpointRows(db, tenant, { upto: head.seq })) yield checkpointLine(cpView(tenant, c));
    for await (const page of streamAuditPages(db, tenant, { uptoSeq: head.seq, filter: rowFilter(filter), pageSize: opts.pageSize ?? 1000 })) {
      // One chunk per page: a streamed response pulls whole pages, not single lines.
      yield page.map((r) => recordLine(rowView(r))).join("");
    }
    yield headLine(signCheckpoint({ tenant, seq: head.seq, hash: head.hash, at: now }, this.o.privateKeyPem));
  }

  /** Stops checkpoint timers; pending appends still complete (deferred ones are written now). */
  close(): void {
    this.closed = true;
    for (const [tenant, c] of this.chains) {
      if (c.cpTimer) clearTimeout(c.cpTimer);
      if (c.deferTimer) clearTimeout(c.deferTimer);
      c.deferTimer = null;
      if (c.queue.length > 0) this.schedule(tenant, c);
    }
  }
}
