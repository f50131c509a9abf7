import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import type { AuditLog } from "./log";
import { makeAuditLog, testKeys } from "./testing";

/**
 * Two application processes × many writers each, appending to one tenant's chain in one shared
 * Postgres: the result must be one linear, gap-free, verifiable chain. Postgres only: embedded
 * PGlite is one process by design (a second process cannot open its data folder).
 */
const pg = Boolean(env().DATABASE_URL);
let db: TestDb;
let log: AuditLog;
let dir: string;
const keys = testKeys();

beforeAll(async () => {
  if (!pg) return;
  db = await createTestDb();
  log = makeAuditLog(db, keys);
  dir = mkdtempSync(path.join(tmpdir(), "canopy-audit-"));
});
afterAll(async () => {
  log?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runWriter(name: string, cfg: object): Promise<{ ok: boolean; seqs: number[]; error?: string }> {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...cfg, name, url: db.url, ...keys }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "lib/audit/concurrency-writer.ts", file], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`writer ${name} exited ${code}: ${err || out}`));
      }
    });
  });
}

describe.skipIf(!pg)("two processes × many writers (Postgres)", () => {
  test("produce one linear chain that verifies", { timeout: 120_000 }, async () => {
    const cfg = { tenant: "shared", writers: 24, perWriter: 40 };
    // This process writes too: three writers' pools compete for the one head lock.
    const local = Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 25; i++) await log.append({ tenant: "shared", kind: "login", subject: "local" });
    }));
    const [a, b] = await Promise.all([runWriter("a", cfg), runWriter("b", cfg), local]);
    expect(a.error ?? "").toBe("");
    expect(b.error ?? "").toBe("");
    const total = 2 * 24 * 40 + 8 * 25;
    const seqs = [...a.seqs, ...b.seqs].sort((x, y) => x - y);
    expect(new Set(seqs).size).toBe(seqs.length);
    const v = await log.verify("shared");
    expect(v).toMatchObject({ ok: true, count: total, head_seq: total });
    // Every writer's records are in the one chain (which page holds whom depends on timing).
    const rows = await db.sql.query<{ who: string; n: string }>(
      `SELECT split_part(subject, '-', 1) AS who, count(*)::text AS n FROM audit_records WHERE tenant_id = 'shared' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => [r.who, Number(r.n)])).toEqual([["a", 24 * 40], ["b", 24 * 40], ["local", 8 * 25]]);
  });
});
