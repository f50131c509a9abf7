import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { digest } from "@/lib/canonical";
import { openDb } from "@/lib/db/client";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { verifyExportLines } from "./export-format";
import { recordHash } from "./hash";
import type { AuditLog } from "./log";
import { auditSearchQuerySchema, type AuditRecordView, GENESIS_HASH } from "./schemas";
import { prng } from "./tamper";
import { makeAuditLog, testKeys } from "./testing";
import { ChainVerifier } from "./verify";
import { selfTestRange, VerifyPool, workerSource } from "./verify-pool";
import { arrayToRead, auditRangeReader, getChainState, listCheckpointRows, streamAuditPages } from "@/lib/db/audit-records";

/**
 * The audit log against a real database: fresh Postgres when DATABASE_URL is set (CI), else an
 * in-memory PGlite. The tamper matrix plays an attacker with superuser rights, who can switch the
 * immutability triggers off and drop constraints.
 */
let db: TestDb;
let log: AuditLog;
const keys = testKeys();

beforeAll(async () => {
  db = await createTestDb();
  log = makeAuditLog(db, keys, { checkpointEvery: 10 });
});
afterAll(async () => {
  log?.close();
  await db?.drop();
});

const q = (text: string, params?: unknown[]) => db.sql.query(text, params);
const search = (tenant: string, query: Record<string, unknown> = {}) => log.search(tenant, auditSearchQuerySchema.parse(query));

async function all(tenant: string): Promise<AuditRecordView[]> {
  const out: AuditRecordView[] = [];
  for await (const chunk of log.exportLines(tenant)) for (const line of chunk.split("\n").filter(Boolean)) {
    const o = JSON.parse(line);
    if (o.type === "record") {
      const { type: _t, ...r } = o;
      out.push(r);
    }
  }
  return out;
}

async function asAttacker(fn: () => Promise<unknown>) {
  await q(`ALTER TABLE audit_records DISABLE TRIGGER USER`);
  await q(`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`);
  try {
    await fn();
  } finally {
    await q(`ALTER TABLE audit_records ENABLE TRIGGER USER`);
    await q(`ALTER TABLE audit_checkpoints ENABLE TRIGGER USER`);
  }
}

/** Renumbers a tenant's records with seq >= from by delta without tripping the unique index midway. */
async function renumber(tenant: string, from: number, delta: number) {
  await q(`UPDATE audit_records SET seq = -seq WHERE tenant_id = $1 AND seq >= $2`, [tenant, from]);
  await q(`UPDATE audit_records SET seq = -seq + $2 WHERE tenant_id = $1 AND seq < 0`, [tenant, delta]);
}

describe("append", () => {
  test("links records from the genesis hash, numbers them without gaps, and they verify", async () => {
    const r1 = await log.append({ tenant: "basic", kind: "tool_decision", tool: "fs.write", args: { path: "/tmp/x" }, decision: "allow", latencyMs: 1.25, policyVersion: 3 });
    const r2 = await log.append({ tenant: "basic", kind: "login", subject: "admin" });
    expect(r1).toMatchObject({ tenant: "basic", seq: 1, prev_hash: GENESIS_HASH, args_digest: digest({ path: "/tmp/x" }), latency_ms: 1.25, policy_version: 3 });
    expect(r2).toMatchObject({ seq: 2, prev_hash: r1.hash });
    expect(r1.hash).toBe(recordHash(r1));
    expect(await all("basic")).toEqual([r1, r2]);
    expect(await log.verify("basic")).toMatchObject({ ok: true, count: 2, head_seq: 2 });
  });

  test("hundreds of concurrent appends: one linear chain, grouped into few transactions", async () => {
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ tenant: "busy", kind: "tool_decision", tool: `t.${i % 7}`, reason: `call ${i}` })));
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const v = await log.verify("busy");
    expect(v).toMatchObject({ ok: true, count: 300 });
    // Checkpoints at most once per transaction: far fewer than one per record shows batching.
    expect(v.ok && v.checkpoints_verified).toBeGreaterThanOrEqual(1);
  });

  test("tenants have independent chains", async () => {
    const [a, b] = await Promise.all([log.append({ tenant: "ten-a", kind: "login" }), log.append({ tenant: "ten-b", kind: "login" })]);
    expect([a.seq, b.seq]).toEqual([1, 1]);
    expect((await search("ten-a")).records.map((r) => r.tenant)).toEqual(["ten-a"]);
  });

  test("stores arguments redacted, digests the original arguments, and hashes what it stores", async () => {
    const args = { path: "/etc/app.env", password: "hunter2", headers: { Authorization: "Bearer abc" }, items: [{ api_key: "k-1" }] };
    const r = await log.append({ tenant: "redact", kind: "tool_decision", args, data: { secret: "s3" } });
    expect(r.args_digest).toBe(digest(args));
    const rows = await q(`SELECT args::text AS args, data::text AS data FROM audit_records WHERE tenant_id = 'redact'`);
    expect(JSON.stringify(rows)).not.toMatch(/hunter2|Bearer abc|k-1|s3/);
    expect(r.args).toMatchObject({ path: "/etc/app.env", password: { redacted: true }, headers: { Authorization: { redacted: true } } });
    const again = await log.append({ tenant: "redact", kind: "tool_decision", args: { password: "hunter2" } });
    expect((again.args as { password: { hmac: string } }).password.hmac).toBe((r.args as { password: { hmac: string } }).password.hmac);
    expect(await log.verify("redact")).toMatchObject({ ok: true, count: 2 });
  });

  test("redacts secrets by shape in args, data and the free-text reason, and where a trace echoes an argument", async () => {
    const args = { pwd: "hunter2", url: "https://bob:s3cret@api.internal.com/x", headers: { Authorization: "Bearer abc.def.ghi" }, note: "key AKIAIOSFODNN7EXAMPLE" };
    const trace = [{ kind: "rule", conditions: [{ condition: "params", expected: { pwd: { allowlist: ["x"] } }, actual: ['pwd: "hunter2" not in allowlist'], held: false }] }];
    const r = await log.append({ tenant: "redact-shapes", kind: "tool_decision", args, data: { trace }, reason: "agent says: password=Tr0ub4dor, token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" });
    const rows = await q(`SELECT args::text AS args, data::text AS data, reason FROM audit_records WHERE tenant_id = 'redact-shapes'`);
    expect(JSON.stringify(rows)).not.toMatch(/hunter2|s3cret|abc\.def\.ghi|AKIAIOSFODNN7EXAMPLE|Tr0ub4dor|eyJhbGci/);
    expect(r.args).toMatchObject({ url: expect.stringMatching(/^https:\/\/bob:\[redacted:url_password:[0-9a-f]{12}\]@api\.internal\.com\/x$/) });
    expect(r.reason).toMatch(/^agent says: password=\[redacted:key_value:[0-9a-f]{12}\], token \[redacted:jwt:[0-9a-f]{12}\]$/);
    expect(r.args_digest).toBe(digest(args));
    expect(await log.verify("redact-shapes")).toMatchObject({ ok: true, count: 1 });
  });

  test("text that Postgres cannot store (NUL) is stored replaced, and still verifies", async () => {
    await log.append({ tenant: "nul", kind: "agent_note", reason: "a\u0000b", args: { s: "x\u0000y", k: "\\u0000" } });
    expect(await log.verify("nul")).toMatchObject({ ok: true, count: 1 });
  });

  test("invalid input is refused before anything is written", async () => {
    await expect(log.append({ tenant: "", kind: "login" })).rejects.toThrow();
    await expect(log.append({ tenant: "x", kind: "Not A Kind" })).rejects.toThrow();
  });
});

describe("immutability in the database", () => {
  test.each([
    ["UPDATE a record", `UPDATE audit_records SET reason = 'x' WHERE tenant_id = 'basic'`],
    ["DELETE a record", `DELETE FROM audit_records WHERE tenant_id = 'basic'`],
    ["TRUNCATE the records", `TRUNCATE audit_records`],
    ["UPDATE a checkpoint", `UPDATE audit_checkpoints SET hash = 'x'`],
    ["DELETE a checkpoint", `DELETE FROM audit_checkpoints`],
    ["TRUNCATE the checkpoints", `TRUNCATE audit_checkpoints`],
  ])("%s is rejected", async (_label, sql) => {
    await log.append({ tenant: "basic", kind: "agent_note" });
    await log.checkpointNow("basic");
    await expect(q(sql)).rejects.toThrow(/append-only/);
  });
});

describe("checkpoints", () => {
  test("every N records, signed, listed, and verified", async () => {
    for (let i = 0; i < 35; i++) await log.append({ tenant: "cp", kind: "agent_note", reason: `n${i}` });
    const cps = await log.checkpoints("cp");
    expect(cps.map((c) => c.seq)).toEqual([10, 20, 30]);
    const v = await log.verify("cp");
    expect(v).toMatchObject({ ok: true, count: 35, checkpoints_verified: 3 });
  });

  test("after T seconds even without N records", async () => {
    let now = Date.parse("2026-11-21T12:00:00Z");
    const timed = makeAuditLog(db, keys, { checkpointEvery: 1000, checkpointSeconds: 60, now: () => new Date(now) });
    await timed.append({ tenant: "cp-time", kind: "login" });
    now += 61_000;
    await timed.append({ tenant: "cp-time", kind: "login" });
    expect((await timed.checkpoints("cp-time")).map((c) => c.seq)).toEqual([2]);
    await timed.append({ tenant: "cp-time", kind: "login" });
    expect((await timed.checkpointNow("cp-time"))?.seq).toBe(3);
    expect(await timed.checkpointNow("cp-time")).toBeNull();
    timed.close();
  });
});

describe("search", () => {
  beforeAll(async () => {
    const calls = [
      { tool: "fs.write", decision: "deny", subject: "agent-1", rule: "jail", reason: "Write outside jail requires two approvers", approvalId: "ap-1", traceId: "tr-1" },
      { tool: "fs.read", decision: "allow", subject: "agent-1", rule: "reads", reason: "reads are fine", traceId: "tr-2" },
      { tool: "http.get", decision: "allow", subject: "agent-2", rule: "web", reason: "allowed host", traceId: "tr-3" },
      { tool: "fs.write", decision: "allow", subject: "agent-2", rule: "sandbox", reason: "inside the sandbox 100%", traceId: "tr-4" },
    ];
    for (const [i, c] of calls.entries()) await log.append({ tenant: "find", kind: "tool_decision", ts: new Date(Date.UTC(2026, 0, 1 + i)), ...c });
    await log.append({ tenant: "find", kind: "login", subject: "admin", ts: new Date(Date.UTC(2026, 0, 9)) });
  });

  test.each([
    ["everything, newest first", {}, [5, 4, 3, 2, 1]],
    ["tool glob fs.*", { tool: "fs.*" }, [4, 2, 1]],
    ["tool glob *.get", { tool: "*.get" }, [3]],
    ["exact tool", { tool: "fs.write" }, [4, 1]],
    ["decision", { decision: "deny" }, [1]],
    ["subject", { subject: "agent-2" }, [4, 3]],
    ["rule", { rule: "reads" }, [2]],
    ["approval id", { approval_id: "ap-1" }, [1]],
    ["trace id", { trace_id: "tr-3" }, [3]],
    ["free text, case-insensitive", { q: "JAIL" }, [1]],
    ["free text with a LIKE wildcard taken literally", { q: "100%" }, [4]],
    ["free text _ taken literally", { q: "a_b" }, []],
    ["kinds", { kind: "login" }, [5]],
    ["time range [from, to)", { from: "2026-01-02T00:00:00Z", to: "2026-01-04T00:00:00Z" }, [3, 2]],
    ["seq", { seq: "3" }, [3]],
    ["combined", { tool: "fs.*", subject: "agent-1", decision: "allow" }, [2]],
  ])("%s", async (_label, query, seqs) => {
    expect((await search("find", query)).records.map((r) => r.seq)).toEqual(seqs);
  });

  test("keyset pagination walks every record once", async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await search("find", { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.seq));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });
});

describe("export", () => {
  test("round trip: the JSONL export verifies offline with only the public key", async () => {
    const lines: string[] = [];
    for await (const chunk of log.exportLines("cp", {}, { pageSize: 7 })) lines.push(...chunk.split("\n").filter(Boolean));
    expect(JSON.parse(lines[0])).toMatchObject({ type: "header", tenant: "cp", partial: false });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: "head", seq: 35 });
    expect(await verifyExportLines(lines, [keys.publicKeyPem])).toMatchObject({ ok: true, count: 35, checkpoints_verified: 3 });
    expect(await verifyExportLines(lines, [testKeys().publicKeyPem])).toMatchObject({ ok: false, problem: "bad_signature" });
  });

  test("a filtered export is marked partial and verifies what it holds", async () => {
    const lines: string[] = [];
    for await (const chunk of log.exportLines("find", { tool: "fs.*" })) lines.push(...chunk.split("\n").filter(Boolean));
    expect(lines.filter((l) => l.includes('"type":"record"'))).toHaveLength(3);
    expect(await verifyExportLines(lines, [keys.publicKeyPem])).toMatchObject({ ok: true, partial: true, count: 3 });
  });
});

// ---- the tamper matrix, as an attacker with superuser rights on the database ----

async function buildChain(tenant: string, seed: number): Promise<number> {
  const rand = prng(seed);
  const n = 30 + Math.floor(rand() * 30);
  let made = 0;
  while (made < n) {
    const group = Math.min(n - made, 1 + Math.floor(rand() * 4));
    await Promise.all(Array.from({ length: group }, (_, i) => log.append({ tenant, kind: "tool_decision", tool: "fs.write", args: { i: made + i }, reason: "ok", decision: rand() < 0.5 ? "allow" : "deny" })));
    made += group;
  }
  return n;
}

async function record(tenant: string, seq: number): Promise<AuditRecordView> {
  return (await search(tenant, { seq: String(seq) })).records[0];
}

const DB_ATTACKS: Record<string, (tenant: string, k: number, n: number) => Promise<{ problem: string; seq: number }>> = {
  "edit a field": async (t, k) => {
    await q(`UPDATE audit_records SET reason = 'nothing to see' WHERE tenant_id = $1 AND seq = $2`, [t, k]);
    return { problem: "edited", seq: k };
  },
  "edit a field and re-hash the record": async (t, k) => {
    const r = { ...(await record(t, k)), decision: "approved-by-attacker" };
    await q(`UPDATE audit_records SET decision = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2`, [t, k, r.decision, recordHash(r)]);
    return { problem: "edited", seq: k };
  },
  "delete a row": async (t, k) => {
    await q(`DELETE FROM audit_records WHERE tenant_id = $1 AND seq = $2`, [t, k]);
    return { problem: "missing", seq: k };
  },
  "delete a row and renumber the rest": async (t, k) => {
    await q(`DELETE FROM audit_records WHERE tenant_id = $1 AND seq = $2`, [t, k]);
    await renumber(t, k + 1, -1);
    await q(`UPDATE audit_chain_heads SET seq = seq - 1 WHERE tenant_id = $1`, [t]);
    return { problem: "missing", seq: k };
  },
  "insert a forged row": async (t, k) => {
    const prev = await record(t, k - 1);
    const forged = { ...prev, seq: k, prev_hash: prev.hash, kind: "agent_note", reason: "forged", hash: "" };
    forged.hash = recordHash(forged);
    await q(`DROP INDEX audit_records_tenant_id_prev_hash_key`);
    await renumber(t, k, 1);
    await q(
      `INSERT INTO audit_records (tenant_id, seq, prev_hash, hash, kind, ts, tool, args_digest, args, decision, reason)
       VALUES ($1, $2, $3, $4, $5, ($6::timestamptz AT TIME ZONE 'UTC'), $7, $8, $9::jsonb, $10, $11)`,
      [t, k, forged.prev_hash, forged.hash, forged.kind, forged.ts, forged.tool, forged.args_digest, JSON.stringify(forged.args), forged.decision, forged.reason],
    );
    await q(`UPDATE audit_chain_heads SET seq = seq + 1 WHERE tenant_id = $1`, [t]);
    return { problem: "inserted", seq: k };
  },
  "append a forged row past the head": async (t, _k, n) => {
    const last = await record(t, n);
    const forged = { ...last, seq: n + 1, prev_hash: last.hash, reason: "forged", hash: "" };
    forged.hash = recordHash(forged);
    await q(
      `INSERT INTO audit_records (tenant_id, seq, prev_hash, hash, kind, ts, tool, args_digest, args, decision, reason)
       VALUES ($1, $2, $3, $4, $5, ($6::timestamptz AT TIME ZONE 'UTC'), $7, $8, $9::jsonb, $10, $11)`,
      [t, n + 1, forged.prev_hash, forged.hash, forged.kind, forged.ts, forged.tool, forged.args_digest, JSON.stringify(forged.args), forged.decision, forged.reason],
    );
    return { problem: "inserted", seq: n + 1 };
  },
  "swap two adjacent rows": async (t, k) => {
    await q(`UPDATE audit_records SET seq = -1 WHERE tenant_id = $1 AND seq = $2`, [t, k]);
    await q(`UPDATE audit_records SET seq = $2 WHERE tenant_id = $1 AND seq = $3`, [t, k, k + 1]);
    await q(`UPDATE audit_records SET seq = $2 WHERE tenant_id = $1 AND seq = -1`, [t, k + 1]);
    return { problem: "reordered", seq: k };
  },
  "swap two distant rows": async (t, k) => {
    await q(`UPDATE audit_records SET seq = -1 WHERE tenant_id = $1 AND seq = $2`, [t, k]);
    await q(`UPDATE audit_records SET seq = $2 WHERE tenant_id = $1 AND seq = $3`, [t, k, k + 5]);
    await q(`UPDATE audit_records SET seq = $2 WHERE tenant_id = $1 AND seq = -1`, [t, k + 5]);
    return { problem: "reordered", seq: k };
  },
  "truncate after a checkpoint (and move the head back)": async (t, k) => {
    const [cp] = await q(`SELECT max(seq)::int AS seq FROM audit_checkpoints WHERE tenant_id = $1`, [t]);
    const cut = Math.min(k, Number(cp.seq));
    const before = await record(t, cut - 1);
    await q(`DELETE FROM audit_records WHERE tenant_id = $1 AND seq >= $2`, [t, cut]);
    await q(`UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE tenant_id = $1`, [t, cut - 1, before.hash]);
    return { problem: "truncated", seq: cut };
  },
  "rewrite the tail and re-hash everything after it": async (t, k, n) => {
    const [cp] = await q(`SELECT max(seq)::int AS seq FROM audit_checkpoints WHERE tenant_id = $1`, [t]);
    const from = Math.min(k, Number(cp.seq));
    let prev = (await record(t, from - 1)).hash;
    for (let s = from; s <= n; s++) {
      const r = { ...(await record(t, s)), prev_hash: prev, reason: "rewritten" };
      r.hash = recordHash(r);
      await q(`UPDATE audit_records SET prev_hash = $3, reason = $4, hash = $5 WHERE tenant_id = $1 AND seq = $2`, [t, s, r.prev_hash, r.reason, r.hash]);
      prev = r.hash;
    }
    await q(`UPDATE audit_chain_heads SET hash = $2 WHERE tenant_id = $1`, [t, prev]);
    const [first] = await q(`SELECT min(seq)::int AS seq FROM audit_checkpoints WHERE tenant_id = $1 AND seq >= $2`, [t, from]);
    return { problem: "checkpoint_mismatch", seq: Number(first.seq) };
  },
};

/** Verification as it was before ranges and workers: every record pushed one by one. */
async function recordByRecord(tenant: string) {
  const state = (await getChainState(db, tenant))!;
  const cps = (await listCheckpointRows(db, tenant)).map((c) => ({ tenant, ...c }));
  const beyond = cps.some((c) => c.seq > state.seq);
  const v = new ChainVerifier({ publicKeys: [keys.publicKeyPem], checkpoints: cps, head: beyond ? undefined : { seq: state.seq, hash: state.hash }, tenant });
  const upto = Math.max(state.seq, state.maxSeq ?? 0);
  pages: for await (const page of streamAuditPages(db, tenant, { uptoSeq: upto, pageSize: 7 })) {
    for (const r of page) {
      v.push(r);
      if (v.done) break pages;
    }
  }
  return v.finish();
}

/**
 * Every way verify() can cut the chain (one page; pages of 3 in this thread; worker ranges of 12
 * with their seams) reports exactly what a record-by-record pass reports.
 */
async function expectSameInEveryMode(tenant: string) {
  const ref = await recordByRecord(tenant);
  for (const opts of [{}, { pageSize: 3 }, { workers: 2, pageSize: 3 }, { workers: 1, pageSize: 5 }]) {
    const { duration_ms: _d, ...r } = await log.verify(tenant, opts);
    expect(r, JSON.stringify(opts)).toEqual(ref);
  }
  return ref;
}

describe("tamper matrix (database)", () => {
  const cases = Object.keys(DB_ATTACKS).flatMap((name) => [1, 2].map((seed) => [`${name} (seed ${seed})`, name, seed] as const));
  test.each(cases)("%s is detected at the right seq", async (_label, name, seed) => {
    const tenant = `tamper-${name.replace(/\W+/g, "-")}-${seed}`;
    const n = await buildChain(tenant, seed * 104_729);
    expect(await log.verify(tenant)).toMatchObject({ ok: true, count: n });
    const k = 2 + Math.floor(prng(seed)() * (n - 8));
    let expected!: { problem: string; seq: number };
    await asAttacker(async () => {
      expected = await DB_ATTACKS[name](tenant, k, n);
    });
    try {
      expect(await log.verify(tenant)).toMatchObject({ ok: false, ...expected });
      await expectSameInEveryMode(tenant);
    } finally {
      if (name === "insert a forged row") {
        await asAttacker(async () => {
          await q(`DELETE FROM audit_records WHERE tenant_id = $1`, [tenant]);
          await q(`CREATE UNIQUE INDEX audit_records_tenant_id_prev_hash_key ON audit_records (tenant_id, prev_hash)`);
        });
      }
    }
  });
});

describe("verification in ranges and worker threads", () => {
  // Worker ranges are 4 pages: with pages of 3, seams fall between records 12|13, 24|25 and 36|37.
  const SEAM_ATTACKS = ["edit a field", "edit a field and re-hash the record", "delete a row", "swap two adjacent rows"] as const;
  const cases = SEAM_ATTACKS.flatMap((name) => [12, 13, 24].map((k) => [`${name} at ${k}`, name, k] as const));

  test("an intact chain verifies the same in every mode, checkpoints included", async () => {
    const n = await buildChain("ranges-intact", 7);
    const r = await expectSameInEveryMode("ranges-intact");
    expect(r).toMatchObject({ ok: true, count: n });
    expect(r.ok && r.checkpoints_verified).toBeGreaterThan(1);
  });

  test.each(cases)("%s (at or next to a seam) is reported as record by record", async (_label, name, k) => {
    const tenant = `seam-${name.replace(/\W+/g, "-")}-${k}`;
    const n = await buildChain(tenant, k * 31);
    let expected!: { problem: string; seq: number };
    await asAttacker(async () => {
      expected = await DB_ATTACKS[name](tenant, k, n);
    });
    expect(await expectSameInEveryMode(tenant)).toMatchObject({ ok: false, ...expected });
  });

  test("a broken link exactly at a seam is found by the seam check", async () => {
    const tenant = "seam-link";
    await buildChain(tenant, 99);
    await asAttacker(() => q(`UPDATE audit_records SET prev_hash = $2 WHERE tenant_id = $1 AND seq = 13`, [tenant, "e".repeat(64)]));
    expect(await expectSameInEveryMode(tenant)).toMatchObject({ ok: false, seq: 13 });
  });

  // Workers read ranges as COPY text, whose format escapes these (and JSON escapes some of them again).
  test.each([
    ["tabs, newlines and carriage returns", "a\tb\nc\r\nd"],
    ["backslashes and quotes", 'C:\\dir\\"x" \\t'],
    ["control characters", "\u0001\u0008\u000b\u000c\u001f\u007f"],
    ["unicode", "é😀\u2028\u2029\uffff"],
    ["what COPY writes for null", "\\N"],
  ])("records holding %s verify the same in every mode, and an edit among them is found", async (label, text) => {
    const tenant = `awkward-${label.replace(/\W+/g, "-")}`;
    for (let i = 0; i < 40; i++) {
      await log.append({ tenant, kind: "tool_decision", subject: `${text}${i}`, tool: "fs.write", args: { v: text, [text]: i, list: [text, null] }, reason: text, rule: i % 2 ? text : undefined, decision: "allow" });
    }
    expect(await expectSameInEveryMode(tenant)).toMatchObject({ ok: true, count: 40 });
    // A worker's own reading is exact (not rescued by this thread's re-check): clean, and what it
    // declined hashes right by the definition.
    const reader = auditRangeReader(db);
    if (reader) {
      const pool = (await VerifyPool.start({ size: 1, reader }, selfTestRange()))!;
      try {
        const { summary, declinedRows } = await pool.runRange(tenant, 0, 40, []);
        expect(summary).toMatchObject({ n: 40, firstSeq: 1, lastSeq: 40, bad: null });
        for (const row of declinedRows) expect(recordHash(arrayToRead(tenant, row))).toBe(row[2]);
      } finally {
        await pool.close();
      }
    }
    await asAttacker(() => q(`UPDATE audit_records SET reason = $3 WHERE tenant_id = $1 AND seq = $2`, [tenant, 20, `${text} `]));
    expect(await expectSameInEveryMode(tenant)).toMatchObject({ ok: false, problem: "edited", seq: 20 });
  });

  test.skipIf(!env().DATABASE_URL)("a worker that crashes fails the verification closed, never valid", async () => {
    const tenant = "worker-crash";
    await buildChain(tenant, 5);
    // Passes its self-test (records sent to it), then dies on the first range it must read.
    const crashing = `${workerSource()}\nrequire("node:worker_threads").parentPort.on("message", (m) => { if (m.rows === undefined) process.exit(7); });`;
    const crashLog = makeAuditLog(db, keys, { startVerifyPool: (o, t) => VerifyPool.start({ ...o, source: crashing }, t) });
    try {
      await expect(crashLog.verify(tenant, { workers: 2, pageSize: 3 })).rejects.toMatchObject({ code: "audit_verify_failed", message: expect.stringMatching(/exited \(code 7\).*NOT verified/) });
    } finally {
      crashLog.close();
    }
  });

  test("workers that fail their self-test are not used: the chain is verified in this thread", async () => {
    const tenant = "worker-selftest";
    const n = await buildChain(tenant, 6);
    const broken = `require("node:worker_threads").parentPort.on("message", (m) => { require("node:worker_threads").parentPort.postMessage({ id: m.id, summary: { n: 0, bad: null, declined: [] }, declinedRows: [] }); });`;
    const brokenLog = makeAuditLog(db, keys, { startVerifyPool: (o, t) => VerifyPool.start({ ...o, source: broken }, t) });
    try {
      expect(await brokenLog.verify(tenant, { workers: 2, pageSize: 3 })).toMatchObject({ ok: true, count: n });
    } finally {
      brokenLog.close();
    }
  });
});

describe("a head moved by another writer", () => {
  test("an appender whose remembered head is stale re-reads it under the lock and continues the chain", async () => {
    // Two logs on one database stand for two processes: each one's remembered head goes stale
    // every time the other appends, so every batch after the first takes the re-hash path.
    const a = makeAuditLog(db, keys, { checkpointEvery: 4 });
    const b = makeAuditLog(db, keys, { checkpointEvery: 4 });
    try {
      const seqs: number[] = [];
      for (let i = 0; i < 6; i++) {
        seqs.push((await a.append({ tenant: "stale", kind: "login", subject: `a${i}` })).seq);
        seqs.push((await b.append({ tenant: "stale", kind: "login", subject: `b${i}` })).seq);
        const both = await Promise.all([a.append({ tenant: "stale", kind: "login" }), b.append({ tenant: "stale", kind: "login" })]);
        seqs.push(...both.map((r) => r.seq));
      }
      expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(await log.verify("stale")).toMatchObject({ ok: true, count: 24, head_seq: 24 });
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("fail closed", () => {
  test("an unreachable database rejects the append within the timeout, as audit_unavailable", async () => {
    const dead = db.url ? openDb({ url: "postgresql://postgres@127.0.0.1:1/nowhere" }) : openDb({});
    if (!db.url) await dead.sql.close(); // a closed embedded database
    const broken = makeAuditLog(dead, keys, { timeoutMs: 1500 });
    const err = await broken.append({ tenant: "t", kind: "login" }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 503, code: "audit_unavailable" });
    broken.close();
  });

  test.skipIf(!env().DATABASE_URL)("a database that does not answer (head row locked elsewhere) rejects within the timeout", async () => {
    await log.append({ tenant: "stuck", kind: "login" });
    const slow = makeAuditLog(db, keys, { timeoutMs: 800 });
    await db.sql.session(async (s) => {
      await s.exec("BEGIN");
      await s.query(`SELECT * FROM audit_chain_heads WHERE tenant_id = 'stuck' FOR UPDATE`);
      // The head row stays locked until ROLLBACK below: only the timeout can end this append.
      const err = await slow.append({ tenant: "stuck", kind: "login" }).catch((e) => e);
      expect(err).toMatchObject({ status: 503, code: "audit_unavailable" });
      await s.exec("ROLLBACK");
    });
    slow.close();
    expect(await log.verify("stuck")).toMatchObject({ ok: true, count: 1 });
  });
});
