import { randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { type Db, openDb } from "./client";
import { adminQuery } from "./admin-query";
import { migrate } from "./migrate";

export { adminQuery };

export interface TestDb extends Db {
  url?: string;
  drop(): Promise<void>;
}

/**
 * A brand-new database for one test file: a fresh Postgres database next to DATABASE_URL's when
 * it is set (so tests exercise real Postgres), else an in-memory PGlite. Migrated unless told not to.
 */
export async function createTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const base = env().DATABASE_URL;
  if (!base) {
    const db = openDb({});
    if (opts.migrate !== false) await migrate(db.sql);
    return { ...db, drop: async () => { await db.prisma.$disconnect(); await db.sql.close(); } };
  }
  const name = `canopy_t_${randomBytes(6).toString("hex")}`;
  await adminQuery(base, `CREATE DATABASE "${name}"`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const db = openDb({ url: u.toString(), poolSize: 20 });
  if (opts.migrate !== false) await migrate(db.sql);
  return {
    ...db,
    url: u.toString(),
    drop: async () => {
      await db.prisma.$disconnect();
      await db.sql.close();
      await adminQuery(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
