import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalJson, digest } from "@/lib/canonical";
import { checkpointLine, headerLine, headLine, recordLine, verifyExportLines } from "./export-format";
import { canonicalJsonOf, fastDigest, hashPayload, keyId, recordCanonicalJson, recordHash, signCheckpoint } from "./hash";
import { type AuditRecordView, type CheckpointView, GENESIS_HASH } from "./schemas";
import { ATTACKS, type Attack, prng } from "./tamper";
import { testKeys } from "./testing";
import { verifyRecords } from "./verify";

const keys = testKeys();
const other = testKeys();

/** A valid chain of n records with a signed checkpoint every `every` records. */
function chain(n: number, rand: () => number, tenant = "acme", every = 10): { records: AuditRecordView[]; checkpoints: CheckpointView[] } {
  const records: AuditRecordView[] = [];
  const checkpoints: CheckpointView[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const args = { path: `/sandbox/${Math.floor(rand() * 1000)}`, n: rand() };
    const r: AuditRecordView = {
      tenant, seq, prev_hash: prev, hash: "", kind: "tool_decision", ts: new Date(Date.UTC(2026, 10, 21, 12, 0, seq)).toISOString(),
      trace_id: `tr-${seq}`, subject: `agent-${seq % 3}`, tool: rand() < 0.5 ? "fs.write" : "http.get", args_digest: digest(args), args,
      decision: rand() < 0.7 ? "allow" : "deny", rule: "r1", reason: "because", policy_version: 3, approval_id: null,
      latency_ms: Math.round(rand() * 1000) / 10, upstream_outcome: "ok", data: seq % 5 ? null : { trace: [{ rule: "r1", matched: true }] },
    };
    r.hash = recordHash(r);
    prev = r.hash;
    records.push(r);
    if (seq % every === 0) checkpoints.push(signCheckpoint({ tenant, seq, hash: r.hash, at: r.ts }, keys.privateKeyPem));
  }
  return { records, checkpoints };
}

describe("record hash", () => {
  test("the direct serializer is canonicalJson of the hash payload (property)", () => {
    const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          tenant: fc.string(), seq: fc.integer({ min: 1, max: 2 ** 40 }), prev_hash: fc.string(), kind: fc.string(), ts: fc.string(),
          trace_id: nullable(fc.string()), subject: nullable(fc.string({ unit: "binary" })), tool: nullable(fc.string()), args_digest: nullable(fc.string()),
          args: fc.jsonValue(), decision: nullable(fc.string()), rule: nullable(fc.string()), reason: nullable(fc.string({ unit: "binary" })),
          policy_version: nullable(fc.integer()), approval_id: nullable(fc.string()), latency_ms: nullable(fc.double({ noNaN: true, noDefaultInfinity: true })),
          upstream_outcome: nullable(fc.string()), data: fc.jsonValue(),
        }),
        (r) => {
          expect(recordCanonicalJson(r as AuditRecordView)).toBe(canonicalJson(hashPayload(r as AuditRecordView)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("the fast canonical form and digest equal canonicalJson and digest (property)", () => {
    const odd = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(-0, [1, , 2], { b: undefined, a: 1 }, { 10: "x", 9: "y", b: 1 }, JSON.parse('{"__proto__": 1, "a": 2}'), Object.create(null)),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    fc.assert(
      fc.property(odd, (v) => {
        expect(canonicalJsonOf(v)).toBe(canonicalJson(v));
        expect(fastDigest(v)).toBe(digest(v));
      }),
      { numRuns: 500 },
    );
    // Values outside plain JSON take the definition's path, errors included.
    expect(canonicalJsonOf({ at: new Date(0), n: 1n })).toBe(canonicalJson({ at: new Date(0), n: 1n }));
    expect(() => canonicalJsonOf({ a: Number.NaN })).toThrow(/non-finite/);
  });

  test("every field is covered by the hash", () => {
    const { records } = chain(1, prng(1));
    const base = records[0];
    for (const [field, value] of Object.entries({ tenant: "x", seq: 9, prev_hash: "1".repeat(64), kind: "login", ts: "2020-01-01T00:00:00.000Z", trace_id: "t", subject: "s", tool: "x.y", args_digest: "d", args: { a: 1 }, decision: "maybe", rule: "r2", reason: "r", policy_version: 4, approval_id: "a", latency_ms: 2, upstream_outcome: "err", data: { x: 1 } })) {
      expect(recordHash({ ...base, [field]: value }), field).not.toBe(base.hash);
    }
  });
});

describe("verifyRecords on intact chains", () => {
  test.each([0, 1, 9, 10, 11, 57])("a chain of %i records verifies", (n) => {
    const { records, checkpoints } = chain(n, prng(n));
    const r = verifyRecords(records, { publicKeys: [keys.publicKeyPem], checkpoints, tenant: "acme", head: { seq: n, hash: records.at(-1)?.hash ?? GENESIS_HASH } });
    expect(r).toMatchObject({ ok: true, count: n, head_seq: n, checkpoints_verified: Math.floor(n / 10) });
  });
});

// The tamper matrix: every attack at random places of random chains, each named by its seed.
const CASES: [string, Attack, number, number][] = [];
for (const attack of Object.keys(ATTACKS) as Attack[]) {
  for (let seed = 1; seed <= 6; seed++) CASES.push([`${attack} (seed ${seed})`, attack, seed, seed % 2 ? 1 : 1 + (seed % 5)]);
}

describe("tamper matrix (in memory)", () => {
  test.each(CASES)("%s is detected at the right seq", (_label, attack, seed, d) => {
    const rand = prng(seed * 7919);
    const n = 25 + Math.floor(rand() * 40);
    const { records, checkpoints } = chain(n, rand);
    let k = 2 + Math.floor(rand() * (n - 2 - d));
    if (attack === "truncateAfterCheckpoint" || attack === "rewriteTail") k = Math.min(k, checkpoints.at(-1)!.seq);
    const t = ATTACKS[attack](records, checkpoints, k, d);
    const r = verifyRecords(t.records, { publicKeys: [keys.publicKeyPem], checkpoints: t.checkpoints, tenant: "acme" });
    expect(r).toMatchObject({ ok: false, ...t.expect });
    expect(r.ok === false && r.message.length).toBeGreaterThan(10);
  });

  test("tampering with record 1 is caught at seq 1", () => {
    const { records, checkpoints } = chain(12, prng(3));
    for (const attack of ["edit", "editAndRehash", "delete", "swapRows"] as const) {
      const t = ATTACKS[attack](records, checkpoints, 1);
      const r = verifyRecords(t.records, { publicKeys: [keys.publicKeyPem], checkpoints, tenant: "acme" });
      expect(r, attack).toMatchObject({ ok: false, seq: 1 });
    }
  });

  test("a forged checkpoint signature is reported at its seq", () => {
    const { records, checkpoints } = chain(30, prng(4));
    const forged = checkpoints.map((c) => (c.seq === 20 ? { ...c, at: "2030-01-01T00:00:00.000Z" } : c));
    expect(verifyRecords(records, { publicKeys: [keys.publicKeyPem], checkpoints: forged })).toMatchObject({ ok: false, problem: "bad_signature", seq: 20 });
  });

  test("checkpoints signed by another key are refused", () => {
    const { records, checkpoints } = chain(30, prng(5));
    expect(verifyRecords(records, { publicKeys: [other.publicKeyPem], checkpoints })).toMatchObject({ ok: false, problem: "bad_signature", seq: 10 });
  });

  test("a chain cut after its head is reported as truncated", () => {
    const { records } = chain(30, prng(6));
    const r = verifyRecords(records.slice(0, 25), { publicKeys: [keys.publicKeyPem], head: { seq: 30, hash: records[29].hash } });
    expect(r).toMatchObject({ ok: false, problem: "truncated", seq: 26 });
  });

  test("another tenant's record in the chain is refused", () => {
    const { records } = chain(5, prng(7));
    const { records: theirs } = chain(5, prng(7), "globex");
    expect(verifyRecords([...records.slice(0, 2), theirs[2]], { publicKeys: [keys.publicKeyPem], tenant: "acme" })).toMatchObject({ ok: false, seq: 3 });
  });
});

describe("export file, verified offline with only the public key", () => {
  function exportOf(records: AuditRecordView[], checkpoints: CheckpointView[], partial = false): string[] {
    const last = records.at(-1);
    return [
      headerLine({ tenant: "acme", exported_at: "2026-11-21T12:00:00.000Z", key_id: keyId(keys.publicKeyPem), partial, filters: {} }),
      ...checkpoints.map(checkpointLine),
      ...records.map(recordLine),
      headLine(signCheckpoint({ tenant: "acme", seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, at: "2026-11-21T12:00:00.000Z" }, keys.privateKeyPem)),
    ].flatMap((l) => l.split("\n").filter(Boolean));
  }

  test("an intact export verifies", async () => {
    const { records, checkpoints } = chain(42, prng(8));
    expect(await verifyExportLines(exportOf(records, checkpoints), [keys.publicKeyPem])).toMatchObject({ ok: true, count: 42, checkpoints_verified: 4 });
  });

  test.each([
    ["edited line", (ls: string[]) => ls.map((l) => (l.includes('"seq":17,') ? l.replace('"reason":"because"', '"reason":"benign"') : l)), { problem: "edited", seq: 17 }],
    ["deleted line", (ls: string[]) => ls.filter((l) => !l.includes('"type":"record","tenant":"acme","seq":23,')), { problem: "missing", seq: 23 }],
    ["cut short (no signed head)", (ls: string[]) => ls.slice(0, 30), { problem: "truncated" }],
    ["head re-signed by another key", (ls: string[]) => [...ls.slice(0, -1), JSON.stringify({ type: "head", ...signCheckpoint({ tenant: "acme", seq: 42, hash: "f".repeat(64), at: "x" }, other.privateKeyPem) })], { problem: "bad_signature", seq: 42 }],
    ["not an export", () => ['{"hello":1}'], { problem: "malformed" }],
  ] as const)("%s is detected", async (_label, mutate, expected) => {
    const { records, checkpoints } = chain(42, prng(9));
    const r = await verifyExportLines(mutate(exportOf(records, checkpoints)), [keys.publicKeyPem]);
    expect(r).toMatchObject({ ok: false, ...expected });
  });

  test("a filtered (partial) export checks what it holds", async () => {
    const { records, checkpoints } = chain(40, prng(10));
    const some = records.filter((r) => r.seq % 3 !== 0 || r.seq === 30);
    const lines = exportOf(some, checkpoints, true).slice(0, -1);
    expect(await verifyExportLines(lines, [keys.publicKeyPem])).toMatchObject({ ok: true, partial: true, count: some.length });
    const edited = lines.map((l) => (l.includes('"seq":31,') ? l.replace('"kind":"tool_decision"', '"kind":"login"') : l));
    expect(await verifyExportLines(edited, [keys.publicKeyPem])).toMatchObject({ ok: false, problem: "edited", seq: 31 });
  });
});
