import { readFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import type { Database } from "./connection";
import { migrate, migrationStatus, readMigrations } from "./migrate";
import { SCHEMA_SQL_PATH, schemaSql } from "./schema-sql";
import { createTestDb, type TestDb } from "./testing";

/**
 * Seed 000 §3: `psql "$DATABASE_URL" -f app/audit/migrate.sql`. The file is generated from
 * prisma/migrations, fills our ledger so the server applies nothing again, and is idempotent.
 */

const dbs: TestDb[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

async function columns(sql: Database) {
  return sql.query<{ t: string; c: string; type: string; nullable: string }>(
    `SELECT table_name AS t, column_name AS c, data_type AS type, is_nullable AS nullable FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  );
}

describe(SCHEMA_SQL_PATH, () => {
  test("is up to date with prisma/migrations (regenerate: npm run db:sql)", () => {
    expect(readFileSync(SCHEMA_SQL_PATH, "utf8")).toBe(schemaSql(readMigrations()));
  });

  test("applied with psql semantics, it builds the same schema as the runner, fills the ledger, and is idempotent", async () => {
    const script = readFileSync(SCHEMA_SQL_PATH, "utf8");
    const viaScript = await createTestDb({ migrate: false });
    dbs.push(viaScript);
    await viaScript.sql.session((s) => s.exec(script));
    await viaScript.sql.session((s) => s.exec(script));
    const status = await migrationStatus(viaScript.sql);
    expect(status).toEqual({ applied: readMigrations().length, pending: [], unknown: [] });
    // The server starting afterwards applies nothing (checksums match: no "edited migration" error).
    expect((await migrate(viaScript.sql)).applied).toEqual([]);

    const viaRunner = await createTestDb();
    dbs.push(viaRunner);
    expect(await columns(viaScript.sql)).toEqual(await columns(viaRunner.sql));
  });

  test("a database the server already migrated is left alone by the script", async () => {
    const db = await createTestDb();
    dbs.push(db);
    const before = await db.sql.query<{ name: string; applied_at: unknown }>(`SELECT "name", "applied_at" FROM "_canopy_migrations" ORDER BY "name"`);
    await db.sql.session((s) => s.exec(readFileSync(SCHEMA_SQL_PATH, "utf8")));
    expect(await db.sql.query(`SELECT "name", "applied_at" FROM "_canopy_migrations" ORDER BY "name"`)).toEqual(before);
  });
});
