import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { env } from "@/lib/env";
import { openDb } from "./client";
import { type Migration, MigrationError, migrate, migrationStatus, readMigrations } from "./migrate";
import { createTestDb, type TestDb } from "./testing";

const real = readMigrations();
const dbs: TestDb[] = [];
async function fresh() {
  const db = await createTestDb({ migrate: false });
  dbs.push(db);
  return db;
}
afterAll(async () => {
  await Promise.all(dbs.map((d) => d.drop()));
});

const extra: Migration = { name: "99990101000000_extra", sql: `CREATE TABLE "t_extra" ("id" INT PRIMARY KEY);`, checksum: "x1" };

describe("migration runner", () => {
  test("applies every committed migration to a fresh database, then nothing on a re-run", async () => {
    const db = await fresh();
    const first = await migrate(db.sql, real);
    expect(first.applied).toEqual(real.map((m) => m.name));
    const again = await migrate(db.sql, real);
    expect(again.applied).toEqual([]);
    expect(await migrationStatus(db.sql, real)).toEqual({ applied: real.length, pending: [], unknown: [] });
  });

  test("two runners starting at once apply each migration exactly once", async () => {
    const db = await fresh();
    // A second, independent connection (pool) to the same database when on Postgres.
    const other = db.url ? openDb({ url: db.url }) : db;
    const results = await Promise.all([migrate(db.sql, [...real, extra]), migrate(other.sql, [...real, extra])]);
    const appliedTotal = results.flatMap((r) => r.applied).sort();
    expect(appliedTotal).toEqual([...real.map((m) => m.name), extra.name].sort());
    const ledger = await db.sql.query<{ name: string }>(`SELECT name FROM "_canopy_migrations"`);
    expect(ledger).toHaveLength(real.length + 1);
    if (other !== db) await other.sql.close();
  });

  test("a failing migration is rolled back and named, and the ledger does not record it", async () => {
    const db = await fresh();
    const bad: Migration = { name: "99990102000000_bad", sql: `CREATE TABLE "t_half" ("id" INT); SELECT no_such_function();`, checksum: "x2" };
    await expect(migrate(db.sql, [...real, bad])).rejects.toThrow(/migration 99990102000000_bad failed and was rolled back/);
    const tables = await db.sql.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 't_half'`);
    expect(tables).toHaveLength(0);
    expect((await migrationStatus(db.sql, [...real, bad])).pending).toEqual([bad.name]);
  });

  test("an applied migration edited afterwards stops the runner", async () => {
    const db = await fresh();
    await migrate(db.sql, [...real, extra]);
    const edited = { ...extra, checksum: "changed" };
    await expect(migrate(db.sql, [...real, edited])).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(db.sql, [...real, edited])).rejects.toThrow(/was edited after it was applied/);
  });

  test("status reports migrations the code does not know (database newer than code)", async () => {
    const db = await fresh();
    await migrate(db.sql, [...real, extra]);
    expect((await migrationStatus(db.sql, real)).unknown).toEqual([extra.name]);
  });

  test("the audit log refuses UPDATE and DELETE", async () => {
    const db = await fresh();
    await migrate(db.sql, real);
    await db.sql.query(
      `INSERT INTO audit_records (tenant_id, seq, prev_hash, hash, kind, ts) VALUES ('t', 1, 'genesis', 'h1', 'login', now())`,
    );
    await expect(db.sql.query(`UPDATE audit_records SET kind = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.sql.query(`DELETE FROM audit_records`)).rejects.toThrow(/append-only/);
    expect(await db.sql.query(`SELECT kind FROM audit_records`)).toEqual([{ kind: "login" }]);
  });
});

describe("migration runner across processes", () => {
  // Embedded PGlite belongs to one process by design; two processes need a server.
  test.skipIf(!env().DATABASE_URL)("two `canopy db migrate` processes at once apply each migration exactly once", async () => {
    const db = await fresh();
    const run = () =>
      promisify(execFile)(process.execPath, ["cli/canopy.mjs", "db", "migrate"], { env: { ...process.env, DATABASE_URL: db.url } });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.stdout).toMatch(/migration\(s\) applied, 0 pending/);
    expect(b.stdout).toMatch(/migration\(s\) applied, 0 pending/);
    const ledger = await db.sql.query<{ name: string; n: string }>(`SELECT name, count(*)::text AS n FROM "_canopy_migrations" GROUP BY name`);
    expect(ledger.map((r) => r.name).sort()).toEqual(real.map((m) => m.name).sort());
    expect(ledger.every((r) => r.n === "1")).toBe(true);
  }, 60_000);
});
