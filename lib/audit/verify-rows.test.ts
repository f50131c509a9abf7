import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalJson, digest } from "@/lib/canonical";
import { arrayToRead } from "@/lib/db/audit-records";
import { recordCanonicalJson, recordHash, sha256HexOf } from "./hash";
import { type AuditRecordView, GENESIS_HASH } from "./schemas";
import { selfTestRange } from "./verify-pool";
import { canonicalJsonText, checkRawRange, copyLineFields, copyRowsQuery, rangeChecker, rawRecordCanonicalJson } from "./verify-rows";

/** JSON text as Postgres writes jsonb: keys by length then bytes, ", " and ": ", escapes as JSON.stringify's. */
function jsonbText(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(", ")}]`;
  const bytes = (s: string) => Buffer.from(s, "utf8");
  const keys = Object.keys(v).sort((a, b) => bytes(a).length - bytes(b).length || Buffer.compare(bytes(a), bytes(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(", ")}}`;
}

/** What verification computed before: the definition, from the parsed text. */
const reference = (text: string) => canonicalJson(JSON.parse(text));

const values = fc.oneof(
  fc.jsonValue(),
  fc.jsonValue({ stringUnit: "binary" }),
  fc.jsonValue({ stringUnit: "grapheme" }),
  fc.dictionary(fc.string({ unit: "binary" }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: "binary" }))),
);

describe("canonicalJsonText equals canonicalJson of the parsed text", () => {
  test.each([
    ["jsonb's key order and spacing", '{"path": "/a", "api_key": {"hmac": "ab", "redacted": true}, "options": {"mode": 420}}', '{"api_key":{"hmac":"ab","redacted":true},"options":{"mode":420},"path":"/a"}'],
    ["nested arrays and objects", '{"z": [1, {"b": [], "a": {}}], "y": null}', '{"y":null,"z":[1,{"a":{},"b":[]}]}'],
    ["unicode kept as it is", '{"é": "ü😀\u2028", "e": "x"}', '{"e":"x","é":"ü😀\u2028"}'],
    ["keys sorted by UTF-16 code units, not by bytes", '{"\uff61": 1, "😀": 2}', '{"😀":2,"\uff61":1}'],
    ["JSON.stringify's escapes kept", '{"s": "a\\"b\\\\c\\n\\u001f"}', '{"s":"a\\"b\\\\c\\n\\u001f"}'],
    ["numbers written as JS writes them", "[1.50, 1000000000000000000000, 0.00000015, -0, 1E2, 12345678901234567]", "[1.5,1e+21,1.5e-7,0,100,12345678901234568]"],
    ["integer-like and __proto__ keys", '{"10": 1, "9": 2, "__proto__": 3, "b": 4}', '{"10":1,"9":2,"__proto__":3,"b":4}'],
    ["a bare string", '"x"', '"x"'],
  ])("%s", (_label, text, expected) => {
    expect(reference(text)).toBe(expected);
    expect(canonicalJsonText(text)).toBe(expected);
  });

  test.each([
    ["an escape JSON.stringify would not write", '{"a": "\\u00e9"}'],
    ["an escaped key", '{"a\\nb": 1}'],
    ["a duplicate key", '{"a": 1, "a": 2}'],
    ["a non-finite number", "[1e400]"],
    ["invalid JSON", '{"a": 01}'],
    ["trailing text", "[1] x"],
  ])("declines %s (the definition decides)", (_label, text) => {
    expect(canonicalJsonText(text)).toBeNull();
  });

  test("property: jsonb-style, compact and indented texts of any JSON value", () => {
    let declined = 0;
    let total = 0;
    fc.assert(
      fc.property(values, (v) => {
        for (const text of [jsonbText(v), JSON.stringify(v), JSON.stringify(v, null, 2)]) {
          const fast = canonicalJsonText(text);
          total++;
          if (fast === null) declined++;
          else expect(fast).toBe(reference(text));
        }
      }),
      { numRuns: 1500 },
    );
    // Declining is for the odd case (escaped keys, lone surrogates): most texts take the fast path.
    expect(declined / total).toBeLessThan(0.2);
  });

  test("deep nesting declines instead of throwing", () => {
    expect(canonicalJsonText("[".repeat(200_000) + "]".repeat(200_000))).toBeNull();
  });
});

/** A record as the database sends it (raw column texts, JSON columns in jsonb's form). */
function rawOf(r: AuditRecordView): (string | null)[] {
  const t = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return [
    String(r.seq), r.prev_hash, r.hash, r.kind, r.ts, t(r.trace_id), t(r.subject), t(r.tool), t(r.args_digest), r.args == null ? null : jsonbText(r.args), t(r.decision),
    t(r.rule), t(r.reason), t(r.policy_version), t(r.approval_id), t(r.latency_ms), t(r.upstream_outcome), r.data == null ? null : jsonbText(r.data),
  ];
}

const nullable = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const recordArb = fc.record({
  seq: fc.integer({ min: 1, max: 2 ** 40 }), kind: fc.string({ unit: "binary" }), ts: fc.string(), trace_id: nullable(fc.string()), subject: nullable(fc.string({ unit: "binary" })),
  tool: nullable(fc.string()), args_digest: nullable(fc.string()), args: nullable(values), decision: nullable(fc.string()), rule: nullable(fc.string({ unit: "grapheme" })),
  reason: nullable(fc.string({ unit: "binary" })), policy_version: nullable(fc.integer()), approval_id: nullable(fc.string()),
  latency_ms: nullable(fc.double({ noNaN: true, noDefaultInfinity: true })), upstream_outcome: nullable(fc.string()), data: nullable(values),
});

describe("rawRecordCanonicalJson", () => {
  test("property: equals recordCanonicalJson of the record the row decodes to", () => {
    fc.assert(
      fc.property(recordArb, fc.string({ unit: "binary" }), (fields, tenant) => {
        const r = { ...fields, tenant, prev_hash: "a".repeat(64), hash: "" } as AuditRecordView;
        const raw = rawOf(r);
        const fast = rawRecordCanonicalJson(raw, JSON.stringify(tenant));
        if (fast !== null) expect(fast).toBe(recordCanonicalJson(arrayToRead(tenant, raw)));
      }),
      { numRuns: 1500 },
    );
  });
});

function chainRows(n: number, tenant = "acme"): (string | null)[][] {
  let prev = GENESIS_HASH;
  const rows: (string | null)[][] = [];
  for (let seq = 1; seq <= n; seq++) {
    const args = { path: `/x/${seq}`, "é": [seq, 0.5] };
    const r: AuditRecordView = {
      tenant, seq, prev_hash: prev, hash: "", kind: "tool_decision", ts: "2026-01-01T00:00:00.000Z", trace_id: null, subject: "a", tool: "fs.write",
      args_digest: digest(args), args, decision: "allow", rule: "r", reason: "ok", policy_version: 1, approval_id: null, latency_ms: 1.5, upstream_outcome: "ok", data: null,
    };
    r.hash = recordHash(r);
    prev = r.hash;
    rows.push(rawOf(r));
  }
  return rows;
}

describe("checkRawRange", () => {
  test("a clean run: its ends, the hashes at the asked checkpoints, nothing bad", () => {
    const rows = chainRows(10);
    expect(checkRawRange(rows.slice(3), "acme", [2, 5, 9, 11], sha256HexOf)).toMatchObject({
      n: 7, firstSeq: 4, lastSeq: 10, firstPrev: rows[2][2], lastHash: rows[9][2], beforeLastHash: rows[8][2],
      cpHashes: [[5, rows[4][2]], [9, rows[8][2]]], declined: [], bad: null,
    });
  });

  test.each([
    ["an edited field", (rows: (string | null)[][]) => (rows[4][12] = "nothing to see"), { index: 4, why: "hash" }],
    ["a broken link", (rows: (string | null)[][]) => (rows[6][1] = "f".repeat(64)), { index: 6, why: "link" }],
    ["a missing record", (rows: (string | null)[][]) => rows.splice(3, 1), { index: 3, why: "seq" }],
    ["another tenant's record (its hash covers the tenant)", () => {}, { index: 0, why: "hash" }],
  ])("%s is reported at its index", (label, mutate, bad) => {
    const rows = chainRows(10);
    mutate(rows);
    expect(checkRawRange(rows, label.startsWith("another") ? "globex" : "acme", [], sha256HexOf).bad).toEqual(bad);
  });

  test("a record whose text it cannot vouch for is listed, not judged", () => {
    const rows = chainRows(3);
    rows[1][9] = '{"a": "\\u00e9"}';
    expect(checkRawRange(rows, "acme", [], sha256HexOf)).toMatchObject({ declined: [1], bad: null });
  });

  test("the workers' self-test range is clean", () => {
    const t = selfTestRange();
    expect(checkRawRange(t.rows, t.tenant, t.cpSeqs, sha256HexOf)).toMatchObject({ n: 3, bad: null, declined: [] });
  });
});

describe("rangeChecker (a range record by record, as it arrives)", () => {
  test.each([
    ["a clean run", () => {}],
    ["an edited field", (rows: (string | null)[][]) => (rows[4][12] = "nothing to see")],
    ["a broken link", (rows: (string | null)[][]) => (rows[6][1] = "f".repeat(64))],
    ["a missing record", (rows: (string | null)[][]) => rows.splice(3, 1)],
    ["a declined record", (rows: (string | null)[][]) => (rows[2][9] = '{"a": "\\u00e9"}')],
  ])("%s: says what checkRawRange says, and hands back the declined records", (_label, mutate) => {
    const rows = chainRows(10);
    mutate(rows);
    const c = rangeChecker("acme", [2, 5, 9], sha256HexOf);
    for (const r of rows) if (!c.push(r)) break;
    const whole = checkRawRange(rows, "acme", [2, 5, 9], sha256HexOf);
    expect(c.summary().bad).toEqual(whole.bad);
    if (!whole.bad) expect(c.summary()).toEqual(whole);
    expect(c.declinedRows).toEqual(c.summary().declined.map((i) => rows[i]));
  });

  test("nothing pushed is bad (never an empty success)", () => {
    expect(rangeChecker("acme", [], sha256HexOf).summary().bad).toEqual({ index: 0, why: "empty" });
  });
});

describe("copyLineFields (COPY … TO STDOUT text format)", () => {
  test.each([
    ["plain fields", "1\tabc\t{\"a\": 1}", ["1", "abc", '{"a": 1}']],
    ["\\N is null, an escaped \\N is text", "\\N\tx\t\\\\N", [null, "x", "\\N"]],
    ["COPY's escapes", "a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh", ["a\tb\nc\rd\\e\bf\fg\vh"]],
    ["a JSON escape inside a jsonb text", '{"s": "q\\\\"x\\\\n"}', ['{"s": "q\\"x\\n"}']],
    ["empty fields", "\t\t", ["", "", ""]],
    ["unicode as it is", "é😀\u2028\tx", ["é😀\u2028", "x"]],
  ])("%s", (_label, line, fields) => {
    expect(copyLineFields(line)).toEqual(fields);
  });

  test.each([
    ["an escape COPY does not write", "a\\x41"],
    ["an octal escape", "a\\101"],
    ["a trailing backslash", "abc\\"],
  ])("%s is refused", (_label, line) => {
    expect(copyLineFields(line)).toBeNull();
  });
});

describe("copyRowsQuery (the protocol side, without a server)", () => {
  type Chunk = Buffer;
  /** Feeds the submittable as pg's client would: CopyData chunks, then ReadyForQuery. */
  async function feed(chunks: Chunk[], width: number, opts: { error?: Error } = {}) {
    const q = copyRowsQuery("COPY (SELECT 1) TO STDOUT", width) as unknown as Record<string, (...a: unknown[]) => void> & { done: Promise<unknown> };
    const sent: string[] = [];
    q.submit({ query: (t: unknown) => sent.push(String(t)) });
    for (const c of chunks) {
      // The parser reuses its buffer after each message: the query must not keep a view of it.
      const reused = Buffer.from(c);
      q.handleCopyData({ chunk: reused });
      reused.fill(0x7a);
    }
    if (opts.error) q.handleError(opts.error);
    q.handleReadyForQuery();
    expect(sent).toEqual(["COPY (SELECT 1) TO STDOUT"]);
    return q.done;
  }
  const rows = ["1\té\t\\N\n", "2\t😀x\ty\\tz\n", "3\t\t\\\\\n"];
  const expected = [["1", "é", null], ["2", "😀x", "y\tz"], ["3", "", "\\"]];
  const bytes = Buffer.from(rows.join(""));
  /** The bytes cut at the given offsets (ascending). */
  const cuts = (at: number[]) => {
    const ends = [...at, bytes.length];
    return ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  };

  test.each([
    ["one row a chunk (what Postgres sends)", rows.map((r) => Buffer.from(r))],
    ["all rows in one chunk", [bytes]],
    ["rows cut inside a multi-byte character", cuts([5, 16, 17])],
    ["rows cut at every byte", cuts(Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))],
  ])("%s", async (_label, chunks) => {
    await expect(feed(chunks, 3)).resolves.toEqual(expected);
  });

  test.each([
    ["a row of another width", [Buffer.from("1\t2\n")], {}, /row of 2 fields/],
    ["an undecodable row", [Buffer.from("1\\q\t2\t3\n")], {}, /undecodable/],
    ["data ending inside a row", [Buffer.from("1\t2\t3")], {}, /inside a row/],
    ["a server error", [Buffer.from("1\t2\t3\n")], { error: new Error("canceled") }, /canceled/],
  ])("%s rejects (fail closed)", async (_label, chunks, opts, message) => {
    await expect(feed(chunks, 3, opts)).rejects.toThrow(message);
  });
});
