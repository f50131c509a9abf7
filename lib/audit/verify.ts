import type { KeyObject } from "node:crypto";
import { checkpointSignatureValid, keyId, recordHash } from "./hash";
import { type AuditRecordView, type CheckpointView, GENESIS_HASH, type VerifyProblem, type VerifyResult } from "./schemas";
import type { RangeSummary } from "./verify-rows";

/**
 * Chain verification: a PURE function of an ordered stream of records, the signed checkpoints
 * and the audit public key(s). The same code runs behind the API, the CLI and offline export
 * verification. It recomputes every hash and link, checks every checkpoint's signature and that
 * the chain extends it, and reports the first broken seq with what is wrong:
 *
 * - edited: a record's content no longer matches its hash (or it was re-hashed and its
 *   successor no longer links to it);
 * - missing: a seq is absent (deleted, with or without later records renumbered);
 * - inserted: a record that was never appended sits in the chain (duplicate seq, or a forged
 *   record with the records after it renumbered);
 * - reordered: records are out of order (rows swapped, or lines of an export moved);
 * - truncated: the chain ends before a signed checkpoint or the signed head it must reach;
 * - checkpoint_mismatch: a signed checkpoint names a different hash than the chain has at its seq
 *   (a rewrite that re-hashed everything after some point);
 * - bad_signature: a checkpoint whose signature does not verify with the given key;
 * - malformed: a line or row that is not a record.
 */

type Key = string | KeyObject;

export interface VerifyOptions {
  /** The audit public key(s), PEM; a checkpoint is checked with the key its key_id names. */
  publicKeys: Key[];
  checkpoints?: CheckpointView[];
  /** The head the chain must reach: the database's head row, or an export's signed head line. */
  head?: { seq: number; hash: string; signature?: string; at?: string; key_id?: string; tenant?: string };
  tenant?: string | null;
  /** A filtered export: gaps are allowed; only hashes, present links and present checkpoints are checked. */
  partial?: boolean;
  /** Rows collected after a suspected break to classify it (a swap's partner may be further on). */
  lookahead?: number;
}

interface Mini {
  seq: number;
  hash: string;
  prev_hash: string;
}

interface Suspect {
  type: "seq" | "content";
  r: AuditRecordView;
  expected: number;
  selfOk: boolean;
  linkOk: boolean;
  prevHash: string;
  prevPrevHash: string;
}

interface Found {
  seq: number;
  problem: VerifyProblem;
  message: string;
}

export class ChainVerifier {
  private readonly partial: boolean;
  private readonly look: number;
  private readonly tenant: string | null;
  private readonly cps: CheckpointView[];
  private cpIdx = 0;
  private cpVerified = 0;
  private readonly upfront: Found[] = [];
  private count = 0;
  private lastSeq: number | null = null;
  private prevHash = GENESIS_HASH;
  private prevPrevHash = GENESIS_HASH;
  private suspect: Suspect | null = null;
  private readonly ahead: Mini[] = [];
  private found: Found | null = null;

  constructor(opts: VerifyOptions) {
    this.partial = opts.partial ?? false;
    this.look = opts.lookahead ?? 10_000;
    this.tenant = opts.tenant ?? null;
    const byId = new Map<string, Key>();
    for (const k of opts.publicKeys) byId.set(keyId(k), k);
    const sorted = [...(opts.checkpoints ?? [])].sort((a, b) => a.seq - b.seq);
    this.cps = [];
    for (const c of sorted) {
      const key = byId.get(c.key_id);
      if (this.tenant && c.tenant !== this.tenant) {
        this.upfront.push({ seq: c.seq, problem: "bad_signature", message: `checkpoint at seq ${c.seq} belongs to tenant ${c.tenant}, not ${this.tenant}` });
      } else if (!key) {
        this.upfront.push({
          seq: c.seq,
          problem: "bad_signature",
          message: `checkpoint at seq ${c.seq} is signed by key ${c.key_id}, which is not the given public key (${[...byId.keys()].join(", ") || "none given"})`,
        });
      } else if (!checkpointSignatureValid(c, key)) {
        this.upfront.push({ seq: c.seq, problem: "bad_signature", message: `checkpoint at seq ${c.seq} has an invalid signature: it was forged or altered` });
      } else {
        this.cps.push(c);
      }
    }
    this.byId = byId;
    if (opts.head) this.setHead(opts.head);
  }

  private readonly byId: Map<string, Key>;
  private head: VerifyOptions["head"];

  /** The head the chain must reach (an export's signed head arrives after its records). */
  setHead(h: NonNullable<VerifyOptions["head"]>): void {
    this.head = h;
    if (h.signature) {
      const key = h.key_id ? this.byId.get(h.key_id) : undefined;
      const ok = key && checkpointSignatureValid({ tenant: h.tenant ?? "", seq: h.seq, hash: h.hash, at: h.at ?? "", key_id: h.key_id!, signature: h.signature }, key);
      if (!ok) this.upfront.push({ seq: h.seq, problem: "bad_signature", message: `the signed head (seq ${h.seq}) does not verify with the given public key` });
      else if (this.tenant && h.tenant !== this.tenant) this.upfront.push({ seq: h.seq, problem: "bad_signature", message: `the signed head belongs to tenant ${h.tenant}, not ${this.tenant}` });
    }
  }

  /** True once the outcome is known: the caller may stop feeding records. */
  get done(): boolean {
    return this.found !== null;
  }

  push(r: AuditRecordView): void {
    if (this.found) return;
    if (this.suspect) {
      this.ahead.push({ seq: r.seq, hash: r.hash, prev_hash: r.prev_hash });
      if (this.ahead.length >= this.look) this.classify();
      return;
    }
    let linkable = true;
    if (!this.partial) {
      const expected = (this.lastSeq ?? 0) + 1;
      if (r.seq !== expected) {
        this.suspect = { r, prevHash: this.prevHash, prevPrevHash: this.prevPrevHash, type: "seq", expected, selfOk: false, linkOk: false };
        return;
      }
    } else if (this.lastSeq !== null && r.seq <= this.lastSeq) {
      this.suspect = { r, prevHash: this.prevHash, prevPrevHash: this.prevPrevHash, type: "seq", expected: this.lastSeq + 1, selfOk: false, linkOk: false };
      return;
    } else {
      linkable = this.lastSeq !== null && r.seq === this.lastSeq + 1;
    }
    if (this.tenant !== null && r.tenant !== this.tenant) {
      this.found = { seq: r.seq, problem: "inserted", message: `record ${r.seq} belongs to tenant ${r.tenant}, not ${this.tenant}` };
      return;
    }
    const selfOk = recordHash(r) === r.hash;
    const linkOk = !linkable || r.prev_hash === this.prevHash;
    if (!selfOk || !linkOk) {
      this.suspect = { r, prevHash: this.prevHash, prevPrevHash: this.prevPrevHash, type: "content", expected: r.seq, selfOk, linkOk };
      return;
    }
    this.count++;
    this.prevPrevHash = this.prevHash;
    this.prevHash = r.hash;
    this.lastSeq = r.seq;
    while (this.cpIdx < this.cps.length && this.cps[this.cpIdx].seq <= r.seq) {
      const c = this.cps[this.cpIdx++];
      if (c.seq < r.seq) {
        if (this.partial) continue; // its record is not in this export
        // Unreachable for a full chain (seqs are contiguous); kept for safety.
        this.found = { seq: c.seq, problem: "checkpoint_mismatch", message: `checkpoint at seq ${c.seq} names a record the chain does not have` };
        return;
      }
      if (c.hash !== r.hash) {
        this.found = {
          seq: c.seq,
          problem: "checkpoint_mismatch",
          message: `record ${c.seq} has hash ${r.hash.slice(0, 12)}… but the checkpoint signed at ${c.at} says ${c.hash.slice(0, 12)}…: the chain was rewritten and re-hashed up to here`,
        };
        return;
      }
      this.cpVerified++;
    }
  }

  /**
   * A run of the tenant's records already checked elsewhere (checkRawRange: every hash, link and
   * seq clean, `declined` records hashed by the caller): applied as push() would apply them one
   * by one, and true. False, changing nothing, when push() would find something in the run or
   * at its seam with what came before (a seq or link that does not join, a checkpoint): the
   * caller then pushes the run's records one by one, so a problem is described as ever.
   */
  pushRange(tenant: string, s: RangeSummary): boolean {
    if (this.found || this.suspect || this.partial || this.tenant === null || tenant !== this.tenant) return false;
    if (s.bad || s.declined.length > 0 || s.n === 0 || s.lastSeq !== s.firstSeq + s.n - 1) return false;
    if (s.firstSeq !== (this.lastSeq ?? 0) + 1 || s.firstPrev !== this.prevHash) return false;
    let i = this.cpIdx;
    let h = 0;
    let verified = 0;
    while (i < this.cps.length && this.cps[i].seq <= s.lastSeq) {
      const c = this.cps[i++];
      if (c.seq < s.firstSeq) return false;
      while (h < s.cpHashes.length && s.cpHashes[h][0] < c.seq) h++;
      if (h >= s.cpHashes.length || s.cpHashes[h][0] !== c.seq || s.cpHashes[h][1] !== c.hash) return false;
      verified++;
    }
    this.count += s.n;
    this.prevPrevHash = s.beforeLastHash;
    this.prevHash = s.lastHash;
    this.lastSeq = s.lastSeq;
    this.cpIdx = i;
    this.cpVerified += verified;
    return true;
  }

  /** Collected enough rows after a suspected break: decide what it is. */
  private classify(): void {
    const s = this.suspect!;
    const { r, expected: e } = s;
    if (s.type === "seq") {
      if (r.seq < e) {
        this.found =
          r.seq === e - 1
            ? { seq: r.seq, problem: "inserted", message: `two records claim seq ${r.seq}: one was inserted` }
            : { seq: r.seq, problem: "reordered", message: `record ${r.seq} appears after record ${e - 1}: records are out of order` };
        return;
      }
      if (this.partial) {
        this.found = { seq: r.seq, problem: "reordered", message: `record ${r.seq} is out of order` };
        return;
      }
      if (this.ahead.some((m) => m.seq === e)) {
        this.found = { seq: e, problem: "reordered", message: `record ${e} appears after record ${r.seq}: records are out of order` };
        return;
      }
      this.found = {
        seq: e,
        problem: "missing",
        message: r.seq === e + 1 ? `record ${e} is missing (deleted)` : `records ${e} to ${r.seq - 1} are missing (deleted)`,
      };
      return;
    }
    if (!s.selfOk && s.linkOk) {
      this.found = { seq: e, problem: "edited", message: `record ${e} was edited: its content no longer matches its hash` };
      return;
    }
    if (s.selfOk && !s.linkOk) {
      if (e > 2 && r.prev_hash === s.prevPrevHash) {
        this.found = { seq: e - 1, problem: "inserted", message: `record ${e - 1} was inserted: record ${e} links past it to record ${e - 2}` };
      } else if (e === 1) {
        this.found = { seq: 1, problem: "edited", message: `record 1 does not start from the genesis hash: it was rewritten` };
      } else {
        this.found = {
          seq: e - 1,
          problem: "edited",
          message: `record ${e} does not link to record ${e - 1}: record ${e - 1} was rewritten and re-hashed`,
        };
      }
      return;
    }
    // Neither the content nor the link holds: a move, a renumbering or an edit of the link.
    const partner = this.ahead.find((m) => m.hash === r.prev_hash);
    if (partner) {
      this.found = {
        seq: e,
        problem: "reordered",
        message: `the record at seq ${e} belongs after the record now at seq ${partner.seq} (it links to that record's hash): records were swapped or moved`,
      };
      return;
    }
    if (e > 1 && r.prev_hash === s.prevPrevHash && recordHash({ ...r, seq: r.seq - 1 }) === r.hash) {
      this.found = { seq: e - 1, problem: "inserted", message: `record ${e - 1} was inserted: the record after it was renumbered from ${e - 1} to ${e}` };
      return;
    }
    if (recordHash({ ...r, seq: r.seq + 1 }) === r.hash) {
      this.found = { seq: e, problem: "missing", message: `record ${e} was deleted and the records after it renumbered` };
      return;
    }
    this.found = { seq: e, problem: "edited", message: `record ${e} was edited: neither its hash nor its link to record ${e - 1} holds` };
  }

  finish(): VerifyResult {
    if (!this.found && this.suspect) this.classify();
    if (!this.found && !this.partial) {
      const last = this.lastSeq ?? 0;
      const pendingCp = this.cps[this.cpIdx];
      const h = this.head;
      if (pendingCp && pendingCp.seq > last) {
        this.found = {
          seq: last + 1,
          problem: "truncated",
          message: `the chain ends at seq ${last} but a checkpoint signed at ${pendingCp.at} covers seq ${pendingCp.seq}: records ${last + 1} to ${pendingCp.seq} or more were removed`,
        };
      } else if (h && h.seq > last) {
        this.found = { seq: last + 1, problem: "truncated", message: `the chain ends at seq ${last} but its head is at seq ${h.seq}: records from ${last + 1} were removed` };
      } else if (h && h.seq < last) {
        this.found = { seq: h.seq + 1, problem: "inserted", message: `records after the head (seq ${h.seq}) were added outside the log` };
      } else if (h && h.seq === last && last > 0 && h.hash !== this.prevHash) {
        this.found = { seq: last, problem: "checkpoint_mismatch", message: `record ${last} does not match the head's hash: the chain was rewritten` };
      }
    }
    const problems = [...this.upfront, ...(this.found ? [this.found] : [])].sort((a, b) => a.seq - b.seq);
    const first = problems[0]; // stable sort: at equal seqs a bad signature is the first thing to say
    if (first) return { ok: false, tenant: this.tenant, count: this.count, seq: first.seq, problem: first.problem, message: first.message };
    return {
      ok: true,
      tenant: this.tenant,
      count: this.count,
      head_seq: this.lastSeq ?? 0,
      head_hash: this.prevHash,
      checkpoints_verified: this.cpVerified,
      partial: this.partial,
    };
  }
}

/** Verifies an ordered list or stream of records. */
export async function verifyChain(records: Iterable<AuditRecordView> | AsyncIterable<AuditRecordView>, opts: VerifyOptions): Promise<VerifyResult> {
  const v = new ChainVerifier(opts);
  for await (const r of records as AsyncIterable<AuditRecordView>) {
    v.push(r);
    if (v.done) break;
  }
  return v.finish();
}

/** Synchronous form for in-memory arrays. */
export function verifyRecords(records: readonly AuditRecordView[], opts: VerifyOptions): VerifyResult {
  const v = new ChainVerifier(opts);
  for (const r of records) {
    v.push(r);
    if (v.done) break;
  }
  return v.finish();
}
