import path from "node:path";
import { mkdirSync } from "node:fs";
import type { Env } from "@/lib/env";
import { PrismaClient } from "./generated/client";
import { type Database, pgliteDatabase, postgresDatabase } from "./connection";
import { migrate } from "./migrate";

export type { PrismaClient };

export interface Db {
  prisma: PrismaClient;
  sql: Database;
}

export interface OpenOptions {
  /** postgres:// URL; without it, embedded PGlite. */
  url?: string;
  /** PGlite data folder; undefined with no url means in memory. */
  dataDir?: string;
  poolSize?: number;
}

/** Opens a database and its Prisma client. Does not migrate: see getDb() and migrate(). */
export function openDb(opts: OpenOptions): Db {
  let sql: Database;
  if (opts.url) {
    sql = postgresDatabase(opts.url, opts.poolSize);
  } else {
    if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
    sql = pgliteDatabase(opts.dataDir);
  }
  return { prisma: new PrismaClient({ adapter: sql.adapter() }), sql };
}

/**
 * The application's database, migrated, configured by DATABASE_URL or CANOPY_DATA_DIR. The
 * composition root opens it once per process: two PGlite instances on one folder would corrupt it.
 */
export async function openAppDb(e: Pick<Env, "DATABASE_URL" | "CANOPY_DATA_DIR" | "DATABASE_POOL_SIZE">): Promise<Db> {
  const db = openDb({
    url: e.DATABASE_URL,
    dataDir: e.DATABASE_URL ? undefined : path.resolve(e.CANOPY_DATA_DIR, "pglite"),
    poolSize: e.DATABASE_POOL_SIZE,
  });
  await migrate(db.sql);
  return db;
}
