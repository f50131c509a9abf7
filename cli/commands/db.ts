import { openAppDb } from "@/lib/db";
import { env } from "@/lib/env";
import { migrationStatus, readMigrations } from "@/lib/db/migrate";
import { schemaSql } from "@/lib/db/schema-sql";

const USAGE = "usage: canopy db migrate | canopy db sql   (the full schema for psql, as app/audit/migrate.sql holds it)\n";

/**
 * `canopy db migrate`: opening the database applies pending migrations under the lock.
 * `canopy db sql`: prints every migration as one idempotent psql script (seed 000's migrate.sql).
 */
export async function dbCommand(argv: string[]): Promise<number> {
  if (argv[0] === "sql" && argv.length === 1) {
    process.stdout.write(schemaSql(readMigrations()));
    return 0;
  }
  if (argv[0] !== "migrate" || argv.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const { sql, prisma } = await openAppDb(env());
  const status = await migrationStatus(sql);
  process.stdout.write(`${sql.label}: ${status.applied} migration(s) applied, ${status.pending.length} pending\n`);
  if (status.unknown.length) process.stdout.write(`warning: the database has migrations this code does not know: ${status.unknown.join(", ")}\n`);
  await prisma.$disconnect();
  await sql.close();
  return status.pending.length === 0 ? 0 : 1;
}
