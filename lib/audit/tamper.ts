import { recordHash } from "./hash";
import type { AuditRecordView, CheckpointView, VerifyProblem } from "./schemas";

/**
 * Test support: the attacks of the tamper matrix, on an in-memory chain (an export's records, or
 * what an attacker with database superuser rights could leave behind). Each returns the altered
 * records and what verification must report.
 */
export interface Tampered {
  records: AuditRecordView[];
  checkpoints: CheckpointView[];
  expect: { problem: VerifyProblem; seq: number };
}

const rehash = (r: AuditRecordView): AuditRecordView => ({ ...r, hash: recordHash(r) });

export const ATTACKS = {
  /** Change a field, leave the hash. */
  edit(rs, cps, k) {
    const out = rs.map((r) => ({ ...r }));
    out[k - 1].reason = "nothing to see here";
    return { records: out, checkpoints: cps, expect: { problem: "edited", seq: k } };
  },
  /** Change a field and recompute that record's hash. */
  editAndRehash(rs, cps, k) {
    const out = rs.map((r) => ({ ...r }));
    out[k - 1] = rehash({ ...out[k - 1], decision: "allow" === out[k - 1].decision ? "deny" : "allow" });
    return { records: out, checkpoints: cps, expect: { problem: "edited", seq: k } };
  },
  /** Delete a row. */
  delete(rs, cps, k) {
    return { records: rs.filter((r) => r.seq !== k), checkpoints: cps, expect: { problem: "missing", seq: k } };
  },
  /** Delete a row and renumber the later ones to close the gap. */
  deleteAndRenumber(rs, cps, k) {
    const out = rs.filter((r) => r.seq !== k).map((r) => (r.seq > k ? { ...r, seq: r.seq - 1 } : r));
    return { records: out, checkpoints: cps, expect: { problem: "missing", seq: k } };
  },
  /** Insert a forged, correctly linked and hashed record at k; renumber the later ones. */
  insertForged(rs, cps, k) {
    const before = rs.slice(0, k - 1);
    const forged = rehash({ ...rs[k - 1], seq: k, prev_hash: rs[k - 2]?.hash ?? "0".repeat(64), kind: "agent_note", reason: "forged", hash: "" });
    const after = rs.slice(k - 1).map((r) => ({ ...r, seq: r.seq + 1 }));
    return { records: [...before, forged, ...after], checkpoints: cps, expect: { problem: "inserted", seq: k } };
  },
  /** Swap the contents of rows k and k+d (each takes the other's seq, as an UPDATE of seq would). */
  swapRows(rs, cps, k, d = 1) {
    const out = rs.map((r) => ({ ...r }));
    const a = out[k - 1];
    const b = out[k - 1 + d];
    out[k - 1] = { ...b, seq: a.seq };
    out[k - 1 + d] = { ...a, seq: b.seq };
    return { records: out, checkpoints: cps, expect: { problem: "reordered", seq: k } };
  },
  /** Move lines of an export (seqs unchanged, order changed). */
  swapLines(rs, cps, k, d = 1) {
    const out = [...rs];
    [out[k - 1], out[k - 1 + d]] = [out[k - 1 + d], out[k - 1]];
    return { records: out, checkpoints: cps, expect: { problem: "reordered", seq: k } };
  },
  /** Cut the chain at k, before a checkpoint that covers it. */
  truncateAfterCheckpoint(rs, cps, k) {
    return { records: rs.filter((r) => r.seq < k), checkpoints: cps, expect: { problem: "truncated", seq: k } };
  },
  /** Rewrite every record from k and re-hash the rest of the chain: only a checkpoint can tell. */
  rewriteTail(rs, cps, k) {
    const out = rs.map((r) => ({ ...r }));
    for (let i = k - 1; i < out.length; i++) {
      out[i] = rehash({ ...out[i], prev_hash: i === 0 ? "0".repeat(64) : out[i - 1].hash, reason: i === k - 1 ? "rewritten" : out[i].reason });
    }
    const cp = cps.find((c) => c.seq >= k)!;
    return { records: out, checkpoints: cps, expect: { problem: "checkpoint_mismatch", seq: cp.seq } };
  },
} satisfies Record<string, (rs: AuditRecordView[], cps: CheckpointView[], k: number, d?: number) => Tampered>;

export type Attack = keyof typeof ATTACKS;

/** A small deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
