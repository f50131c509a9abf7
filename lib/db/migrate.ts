import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Database, SqlSession } from "./connection";

// Any fixed 64-bit key; every CanopyIQ process takes this advisory lock before migrating.
export const LOCK_KEY = "7249082211359001";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export function defaultMigrationsDir(): string {
  return path.join(/* turbopackIgnore: true */ process.cwd(), "prisma", "migrations");
}

export function readMigrations(dir = defaultMigrationsDir()): Migration[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS "_canopy_migrations" (
  "name" TEXT PRIMARY KEY,
  "checksum" TEXT NOT NULL,
  "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "duration_ms" INTEGER NOT NULL
)`;

async function applied(s: SqlSession): Promise<Map<string, string>> {
  const rows = await s.query<{ name: string; checksum: string }>(`SELECT "name", "checksum" FROM "_canopy_migrations"`);
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

/**
 * Applies pending migrations in name order, each in its own transaction, under an advisory lock,
 * so concurrent starters apply each migration exactly once. An applied migration whose file has
 * changed stops everything: history must not be rewritten.
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<{ applied: string[]; total: number }> {
  // Advisory locks are re-entrant within one session, and PGlite has only one: serialize
  // runners that share a Database object in-process as well.
  const previous = inProcess.get(db) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => migrateLocked(db, migrations));
  inProcess.set(db, run);
  return run;
}

const inProcess = new WeakMap<Database, Promise<unknown>>();

async function migrateLocked(db: Database, migrations: Migration[]): Promise<{ applied: string[]; total: number }> {
  return db.session(async (s) => {
    await s.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    try {
      await s.exec(LEDGER_DDL);
      const done = await applied(s);
      const newlyApplied: string[] = [];
      for (const m of migrations) {
        const checksum = done.get(m.name);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) {
            throw new MigrationError(
              `migration ${m.name} was edited after it was applied (checksum ${checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk); restore the file and add a new migration instead`,
            );
          }
          continue;
        }
        const started = performance.now();
        await s.exec("BEGIN");
        try {
          await s.exec(m.sql);
          await s.query(`INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ($1, $2, $3)`, [
            m.name,
            m.checksum,
            Math.round(performance.now() - started),
          ]);
          await s.exec("COMMIT");
        } catch (e) {
          await s.exec("ROLLBACK").catch(() => {});
          throw new MigrationError(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`);
        }
        newlyApplied.push(m.name);
      }
      return { applied: newlyApplied, total: migrations.length };
    } finally {
      await s.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => {});
    }
  });
}

export interface MigrationStatus {
  applied: number;
  pending: string[];
  /** Applied in the database but absent on disk: the code is older than the database. */
  unknown: string[];
}

export async function migrationStatus(db: Database, migrations = readMigrations()): Promise<MigrationStatus> {
  const rows = await db
    .query<{ name: string }>(`SELECT "name" FROM "_canopy_migrations"`)
    .catch(() => [] as { name: string }[]);
  const done = new Set(rows.map((r) => r.name));
  const onDisk = new Set(migrations.map((m) => m.name));
  return {
    applied: migrations.filter((m) => done.has(m.name)).length,
    pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
    unknown: [...done].filter((n) => !onDisk.has(n)),
  };
}
