import path from "node:path";
import { mkdirSync } from "node:fs";
import { env } from "@/lib/env";
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

// One instance per process: Next.js may load this module in several bundles, and two PGlite
// instances on one folder would corrupt it.
const g = globalThis as { __canopyDb?: Promise<Db> };

/** The application's database, migrated. Configured by DATABASE_URL or CANOPY_DATA_DIR. */
export function getDb(): Promise<Db> {
  g.__canopyDb ??= (async () => {
    const e = env();
    const db = openDb({
      url: e.DATABASE_URL,
      dataDir: e.DATABASE_URL ? undefined : path.resolve(e.CANOPY_DATA_DIR, "pglite"),
      poolSize: e.DATABASE_POOL_SIZE,
    });
    await migrate(db.sql);
    return db;
  })().catch((err) => {
    g.__canopyDb = undefined;
    throw err;
  });
  return g.__canopyDb;
}
