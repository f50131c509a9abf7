import { LOCK_KEY, LEDGER_DDL, type Migration } from "./migrate";

/** Where seed 000 expects the schema: `psql "$DATABASE_URL" -f app/audit/migrate.sql`. */
export const SCHEMA_SQL_PATH = "app/audit/migrate.sql";

/** A dollar-quote tag that does not occur in `text`. */
function tagFor(text: string, base: string): string {
  let tag = `$${base}$`;
  for (let i = 0; text.includes(tag); i++) tag = `$${base}_${i}$`;
  return tag;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The whole schema as one psql script, for operators who migrate with psql. It applies every
 * migration of prisma/migrations in name order, each only when our ledger (`_canopy_migrations`)
 * does not list it yet, and records it there with the checksum the server's runner computes, so
 * a server started afterwards applies nothing again. One transaction under the runner's advisory
 * lock: an error anywhere leaves the database as it was, and concurrent runners wait.
 */
export function schemaSql(migrations: Migration[]): string {
  const out = [
    "-- CanopyIQ: the full database schema, generated from prisma/migrations by `npx canopy db sql`.",
    "-- Do not edit: regenerate with `npm run db:sql` (a test fails when this file is out of date).",
    "-- Apply with: psql \"$DATABASE_URL\" -f app/audit/migrate.sql   (the server also migrates at start).",
    "-- Idempotent: migrations already applied (by this script or by the server) are skipped.",
    "",
    "BEGIN;",
    "SET LOCAL client_min_messages = warning;",
    `DO $canopy_lock$ BEGIN PERFORM pg_advisory_xact_lock(${LOCK_KEY}); END $canopy_lock$;`,
    `${LEDGER_DDL};`,
    "",
  ];
  migrations.forEach((m, i) => {
    const body = tagFor(m.sql, `canopy_sql_${i}`);
    const block = tagFor(`${m.sql}${body}`, `canopy_migration_${i}`);
    out.push(
      `-- ${m.name}`,
      `DO ${block}`,
      "BEGIN",
      `  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = ${literal(m.name)}) THEN`,
      `    EXECUTE ${body}`,
      m.sql.trimEnd(),
      `${body};`,
      `    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES (${literal(m.name)}, ${literal(m.checksum)}, 0);`,
      "  END IF;",
      "END",
      `${block};`,
      "",
    );
  });
  out.push("COMMIT;", "");
  return out.join("\n");
}
