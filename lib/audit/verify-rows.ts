/**
 * Chain verification's hot loop over records as the database sends them: raw column texts in
 * RECORD_COLUMNS order (lib/db/audit-records.ts), JSON columns as jsonb's text output. It builds
 * each record's hash text straight from those texts (no JSON.parse, no objects per record),
 * hashes it and checks the links, and answers with a summary the caller stitches to the chain
 * (ChainVerifier.pushRange) or, for the few records whose text it cannot vouch for, their
 * indexes (the caller hashes those with recordHash, the definition).
 *
 * EVERY function here is self-contained: no imports, no module state, no helpers but the other
 * function declarations of this file. verify-pool.ts runs them in worker threads from their
 * source text (so they work unchanged under tsx, vitest and Next's bundles, which cannot all
 * load a worker file). The one dependency, SHA-256, is passed in.
 */

/** What one checked range says; `bad` set means the caller must re-check it record by record. */
export interface RangeSummary {
  n: number;
  firstSeq: number;
  lastSeq: number;
  firstPrev: string;
  lastHash: string;
  /** Hash of the record before the last (the first's prev_hash when n is 1). */
  beforeLastHash: string;
  /** [seq, hash] of the records at the asked checkpoint seqs that the range holds. */
  cpHashes: [number, string][];
  /** Indexes of records whose hash text this code declined to build (check them with recordHash). */
  declined: number[];
  /** Set at the first record that does not hash, link or number as a clean chain would. */
  bad: { index: number; why: string } | null;
}

/**
 * canonicalJson(JSON.parse(t)) for JSON text t, straight from the text, or null where this
 * declines (an escape JSON.stringify would not write, an escaped or duplicate key, a non-finite
 * number, invalid JSON, nesting deeper than the stack): the caller then takes the definition.
 * Strings are copied as they are when JSON.stringify would write them the same way (jsonb's
 * output escapes exactly what JSON.stringify escapes); numbers are written as JS does.
 */
export function canonicalJsonText(t: string): string | null {
  const pos = [0];
  try {
    const out = cjValue(t, pos);
    if (out === null) return null;
    let i = pos[0];
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return null;
      i++;
    }
    return out;
  } catch {
    return null; // too deep for the stack: the definition decides
  }
}

function cjSkip(t: string, pos: number[]): number {
  let i = pos[0];
  let c = t.charCodeAt(i);
  while (c === 32 || c === 9 || c === 10 || c === 13) c = t.charCodeAt(++i);
  pos[0] = i;
  return c;
}

/** The end (exclusive) of the string literal at pos[0], or -1 where JSON.stringify would write it otherwise. */
function cjStringEnd(t: string, start: number): number {
  let i = start + 1;
  const n = t.length;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c < 32) return -1;
    if (c === 92) {
      const e = t.charCodeAt(i + 1);
      // JSON.stringify's escapes only: \" \\ \b \f \n \r \t, and \u00xx (lowercase) for the other controls.
      if (e === 34 || e === 92 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        i += 2;
        continue;
      }
      if (e !== 117 || t.charCodeAt(i + 2) !== 48 || t.charCodeAt(i + 3) !== 48) return -1;
      const h = t.charCodeAt(i + 4);
      const l = t.charCodeAt(i + 5);
      if (h !== 48 && h !== 49) return -1;
      const lv = l >= 48 && l <= 57 ? l - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
      if (lv < 0) return -1;
      const code = (h - 48) * 16 + lv;
      if (code === 8 || code === 9 || code === 10 || code === 12 || code === 13) return -1;
      i += 6;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is escaped by JSON.stringify; a pair is written as it is.
      const d = t.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** The end of the JSON number at start, or -1 when it is not one by JSON's grammar. */
function cjNumberEnd(t: string, start: number): number {
  let i = start;
  if (t.charCodeAt(i) === 45) i++;
  let c = t.charCodeAt(i);
  if (c === 48) {
    c = t.charCodeAt(++i);
  } else if (c >= 49 && c <= 57) {
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
  } else {
    return -1;
  }
  if (c === 46) {
    c = t.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
  }
  if (c === 101 || c === 69) {
    c = t.charCodeAt(++i);
    if (c === 43 || c === 45) c = t.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
  }
  return i;
}

function cjValue(t: string, pos: number[]): string | null {
  const c = cjSkip(t, pos);
  const s = pos[0];
  if (c === 34) {
    const e = cjStringEnd(t, s);
    if (e < 0) return null;
    pos[0] = e;
    return t.slice(s, e);
  }
  if (c === 123) return cjObject(t, pos);
  if (c === 91) {
    pos[0] = s + 1;
    if (cjSkip(t, pos) === 93) {
      pos[0]++;
      return "[]";
    }
    let out = "[";
    for (;;) {
      const v = cjValue(t, pos);
      if (v === null) return null;
      out += v;
      const d = cjSkip(t, pos);
      pos[0]++;
      if (d === 93) return out + "]";
      if (d !== 44) return null;
      out += ",";
    }
  }
  if (c === 45 || (c >= 48 && c <= 57)) {
    const e = cjNumberEnd(t, s);
    if (e < 0) return null;
    pos[0] = e;
    const tok = t.slice(s, e);
    // Integers of up to 15 digits are exact doubles that JS prints digit for digit.
    let plain = e - s <= 15 && c !== 45;
    if (plain && (e - s > 1 || c !== 48)) {
      if (c === 48) plain = false;
      for (let i = s; plain && i < e; i++) {
        const d = t.charCodeAt(i);
        if (d < 48 || d > 57) plain = false;
      }
    }
    if (plain) return tok;
    const n = Number(tok);
    if (!Number.isFinite(n)) return null;
    return String(n); // as JSON.stringify(JSON.parse(tok)); -0 prints as 0, as canonicalJson
  }
  if (c === 116 && t.startsWith("true", s)) {
    pos[0] = s + 4;
    return "true";
  }
  if (c === 102 && t.startsWith("false", s)) {
    pos[0] = s + 5;
    return "false";
  }
  if (c === 110 && t.startsWith("null", s)) {
    pos[0] = s + 4;
    return "null";
  }
  return null;
}

function cjObject(t: string, pos: number[]): string | null {
  pos[0]++;
  if (cjSkip(t, pos) === 125) {
    pos[0]++;
    return "{}";
  }
  const keys: string[] = [];
  const vals: string[] = [];
  let sorted = true;
  for (;;) {
    if (cjSkip(t, pos) !== 34) return null;
    const ks = pos[0];
    const ke = cjStringEnd(t, ks);
    if (ke < 0) return null;
    const key = t.slice(ks + 1, ke - 1);
    // An escaped key's order is that of its decoded text: the definition decides.
    if (key.indexOf("\\") >= 0) return null;
    pos[0] = ke;
    if (cjSkip(t, pos) !== 58) return null;
    pos[0]++;
    const v = cjValue(t, pos);
    if (v === null) return null;
    if (keys.length > 0 && !(keys[keys.length - 1] < key)) sorted = false;
    keys.push(key);
    vals.push(v);
    const d = cjSkip(t, pos);
    pos[0]++;
    if (d === 125) break;
    if (d !== 44) return null;
  }
  const n = keys.length;
  let out = "{";
  if (sorted) {
    for (let j = 0; j < n; j++) out += (j === 0 ? '"' : ',"') + keys[j] + '":' + vals[j];
    return out + "}";
  }
  // Insertion sort (objects are small) in UTF-16 code unit order, as canonicalJson's sort();
  // equal neighbours are duplicate keys (JSON.parse keeps the last one: the definition decides).
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    let j = i;
    while (j > 0 && keys[order[j - 1]] > keys[i]) {
      order[j] = order[j - 1];
      j--;
    }
    if (j > 0 && keys[order[j - 1]] === keys[i]) return null;
    order[j] = i;
  }
  for (let j = 0; j < n; j++) {
    const i = order[j];
    out += (j === 0 ? '"' : ',"') + keys[i] + '":' + vals[i];
  }
  return out + "}";
}

/** JSON.stringify of a nullable text column, escaping only when a character needs it. */
function cjStr(v: string | null | undefined): string {
  if (v === null || v === undefined) return "null";
  // One native scan (half the time of a charCodeAt loop, measured): a quote, a backslash, a
  // control character or any surrogate (paired or not) sends it to JSON.stringify itself.
  return /["\\\u0000-\u001f\ud800-\udfff]/.test(v) ? JSON.stringify(v) : '"' + v + '"';
}

/**
 * canonicalJson(hashPayload(record)) for a record as raw column texts (RECORD_COLUMNS order), or
 * null where a value needs the definition (the caller hashes such a record with recordHash).
 * `tenantJson` is JSON.stringify(tenant).
 */
export function rawRecordCanonicalJson(a: (string | null)[], tenantJson: string): string | null {
  const seq = a[0];
  // seq is int8 text: exact as a JS number (what recordHash sees) only up to 15 digits.
  if (seq === null || seq.length === 0 || seq.length > 15 || seq.charCodeAt(0) === 48 || seq.charCodeAt(0) === 45) return null;
  let args = "null";
  if (a[9] !== null && a[9] !== undefined) {
    const x = canonicalJsonText(a[9]);
    if (x === null) return null;
    args = x;
  }
  let data = "null";
  if (a[17] !== null && a[17] !== undefined) {
    const x = canonicalJsonText(a[17]);
    if (x === null) return null;
    data = x;
  }
  let lat = "null";
  if (a[15] !== null && a[15] !== undefined) {
    const n = parseFloat(a[15]);
    if (!Number.isFinite(n)) return null;
    lat = String(n);
  }
  let pv = "null";
  if (a[13] !== null && a[13] !== undefined) {
    const n = parseInt(a[13], 10);
    if (!Number.isFinite(n)) return null;
    pv = String(n);
  }
  // One flat string (join copies the parts once): a chain of + would leave ropes of ~40 parts
  // for the hash to flatten, and garbage for the collector.
  return [
    '{"approval_id":', cjStr(a[14]), ',"args":', args, ',"args_digest":', cjStr(a[8]), ',"data":', data, ',"decision":', cjStr(a[10]),
    ',"kind":', cjStr(a[3]), ',"latency_ms":', lat, ',"policy_version":', pv, ',"prev_hash":', cjStr(a[1]), ',"reason":', cjStr(a[12]),
    ',"rule":', cjStr(a[11]), ',"seq":"', seq, '","subject":', cjStr(a[6]), ',"tenant":', tenantJson, ',"tool":', cjStr(a[7]),
    ',"trace_id":', cjStr(a[5]), ',"ts":', cjStr(a[4]), ',"upstream_outcome":', cjStr(a[16]), ',"v":1}',
  ].join("");
}

/**
 * Checks a run of records fetched in seq order: each one's hash, each link to the one before,
 * and that seqs go up by one. Stops at the first that does not (the caller re-checks the range
 * record by record to say what is wrong); `cpSeqs` (ascending) are the checkpoint seqs whose
 * record hashes the caller wants back.
 */
export function checkRawRange(rows: (string | null)[][], tenant: string, cpSeqs: number[], sha256Hex: (text: string) => string): RangeSummary {
  const c = rangeChecker(tenant, cpSeqs, sha256Hex);
  for (let i = 0; i < rows.length; i++) if (!c.push(rows[i])) break;
  return c.summary();
}

/**
 * checkRawRange one record at a time, so a range can be checked as it arrives and nothing of a
 * record but its hash outlives it (records held until the range ends survive young-generation
 * collections: most of the work, measured). push() answers false once the range is bad (later
 * records change nothing); `declinedRows` are the records at summary().declined.
 */
export function rangeChecker(
  tenant: string,
  cpSeqs: number[],
  sha256Hex: (text: string) => string,
): { push(a: (string | null)[]): boolean; summary(): RangeSummary; declinedRows: (string | null)[][] } {
  const tenantJson = JSON.stringify(tenant);
  const s: RangeSummary = { n: 0, firstSeq: 0, lastSeq: 0, firstPrev: "", lastHash: "", beforeLastHash: "", cpHashes: [], declined: [], bad: null };
  const declinedRows: (string | null)[][] = [];
  let cp = 0;
  let prevSeq = 0;
  let prevHash = "";
  return {
    declinedRows,
    push(a) {
      if (s.bad) return false;
      const i = s.n;
      const seq = Number(a[0]);
      const hash = a[2];
      if (i === 0) {
        s.firstSeq = seq;
        s.firstPrev = a[1] as string;
        prevSeq = seq - 1;
        prevHash = s.firstPrev;
        while (cp < cpSeqs.length && cpSeqs[cp] < seq) cp++;
      }
      // Where it stops, the summary still describes every record received (the caller starts over there).
      s.n = i + 1;
      s.lastSeq = seq;
      s.beforeLastHash = i === 0 ? (a[1] as string) : s.lastHash;
      s.lastHash = hash as string;
      if (seq !== prevSeq + 1 || typeof hash !== "string" || a[1] !== prevHash) {
        s.bad = { index: i, why: seq !== prevSeq + 1 ? "seq" : "link" };
        return false;
      }
      const text = rawRecordCanonicalJson(a, tenantJson);
      if (text === null) {
        s.declined.push(i);
        declinedRows.push(a);
      } else if (sha256Hex(text) !== hash) {
        s.bad = { index: i, why: "hash" };
        return false;
      }
      while (cp < cpSeqs.length && cpSeqs[cp] <= seq) {
        if (cpSeqs[cp] === seq) s.cpHashes.push([seq, hash]);
        cp++;
      }
      prevSeq = seq;
      prevHash = hash;
      return true;
    },
    summary() {
      if (s.n === 0) return { ...s, bad: { index: 0, why: "empty" } };
      return s;
    },
  };
}

/**
 * The fields of one line of `COPY … TO STDOUT` text output (without its newline): `\N` is
 * null, the backslash escapes COPY writes (\\ \b \f \n \r \t \v) are decoded, so each
 * field is the text a query would have returned. Null for a line COPY cannot have written (an
 * escape it does not use, a trailing backslash).
 */
export function copyLineFields(line: string): (string | null)[] | null {
  const f: (string | null)[] = line.split("\t");
  for (let i = 0; i < f.length; i++) {
    const v = f[i] as string;
    if (v.indexOf("\\") < 0) continue;
    if (v === "\\N") {
      f[i] = null;
      continue;
    }
    let out = "";
    let at = 0;
    for (;;) {
      const j = v.indexOf("\\", at);
      if (j < 0) break;
      const e = v.charCodeAt(j + 1);
      const d = e === 92 ? "\\" : e === 110 ? "\n" : e === 116 ? "\t" : e === 114 ? "\r" : e === 98 ? "\b" : e === 102 ? "\f" : e === 118 ? "\v" : null;
      if (d === null) return null;
      out += v.slice(at, j) + d;
      at = j + 2;
    }
    f[i] = out + v.slice(at);
  }
  return f;
}

/**
 * A `pg` submittable (client.query(it)) that runs `text`, a `COPY (SELECT …) TO STDOUT` in text
 * format, and resolves `done` with its rows as field arrays (copyLineFields) of `width` fields
 * (or hands each to `onRow` as it arrives, and resolves with none).
 * COPY hands over each row as one undecoded byte chunk: one UTF-8 decode and one split per row,
 * where a query result costs a decode and a string per field, and a parse per message.
 * Rejects on any error, an undecodable line, or a row of another width (fail closed).
 */
export function copyRowsQuery(text: string, width: number, onRow?: (fields: (string | null)[]) => void): { done: Promise<(string | null)[][]> } & Record<string, unknown> {
  const rows: (string | null)[][] = [];
  let pending: Uint8Array[] = [];
  let failure: unknown = null;
  let resolve!: (r: (string | null)[][]) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<(string | null)[][]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const line = (s: string) => {
    const f = copyLineFields(s);
    if (f === null || f.length !== width) throw new Error(`COPY sent a row of ${f === null ? "undecodable" : f.length} fields`);
    if (onRow) onRow(f);
    else rows.push(f);
  };
  // The parser reuses its buffer: a chunk is read now or copied.
  const lines = (chunk: Uint8Array & { toString(enc: string, start?: number, end?: number): string }) => {
    const n = chunk.length;
    const nl = chunk.indexOf(10);
    if (pending.length === 0 && nl === n - 1) return line(chunk.toString("utf8", 0, n - 1)); // the usual case: one row per chunk
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      pending.push(Uint8Array.prototype.slice.call(chunk));
      return;
    }
    const head = chunk.subarray(0, last);
    const all = pending.length === 0 ? head : Buffer.concat([...pending, head]);
    pending = last + 1 < n ? [Uint8Array.prototype.slice.call(chunk, last + 1)] : [];
    for (const s of Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString("utf8").split("\n")) line(s);
  };
  return {
    done,
    text,
    submit(connection: { query(text: string): void }) {
      connection.query(text);
    },
    handleCopyData(msg: { chunk: Uint8Array & { toString(enc: string, start?: number, end?: number): string } }) {
      if (failure) return;
      try {
        lines(msg.chunk);
      } catch (err) {
        failure = err;
      }
    },
    handleError(err: unknown) {
      // Settles now: after a lost connection no ReadyForQuery follows.
      failure ??= err;
      reject(failure);
    },
    handleReadyForQuery() {
      if (!failure && pending.length > 0) failure = new Error("COPY ended inside a row");
      if (failure) reject(failure);
      else resolve(rows);
    },
    handleRowDescription() {},
    handleDataRow() {
      failure ??= new Error("not a COPY: the statement returned rows");
    },
    handleCommandComplete() {},
    handleEmptyQuery() {},
    handlePortalSuspended() {},
    handleCopyInResponse() {
      failure ??= new Error("not a COPY … TO STDOUT");
    },
  };
}

/** Every function declaration of this file: the source verify-pool.ts gives its workers. */
export const VERIFY_ROW_FUNCTIONS: readonly ((...a: never[]) => unknown)[] = [
  canonicalJsonText, cjSkip, cjStringEnd, cjNumberEnd, cjValue, cjObject, cjStr, rawRecordCanonicalJson, checkRawRange, rangeChecker, copyLineFields, copyRowsQuery,
];
