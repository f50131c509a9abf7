import { getDb } from "@/lib/db";
import { migrationStatus } from "@/lib/db/migrate";

/** `canopy db migrate`: opening the database applies pending migrations under the lock. */
export async function dbCommand(argv: string[]): Promise<number> {
  if (argv[0] !== "migrate") {
    process.stderr.write("usage: canopy db migrate\n");
    return 2;
  }
  const { sql, prisma } = await getDb();
  const status = await migrationStatus(sql);
  process.stdout.write(`${sql.label}: ${status.applied} migration(s) applied, ${status.pending.length} pending\n`);
  if (status.unknown.length) process.stdout.write(`warning: the database has migrations this code does not know: ${status.unknown.join(", ")}\n`);
  await prisma.$disconnect();
  await sql.close();
  return status.pending.length === 0 ? 0 : 1;
}
