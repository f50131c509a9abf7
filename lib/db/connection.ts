import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import pg from "pg";

/** One connection's worth of raw SQL: what the migration runner and health checks need. */
export interface SqlSession {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (simple query protocol, no parameters). */
  exec(script: string): Promise<void>;
}

export interface Database {
  kind: "postgres" | "pglite";
  /** Where the data lives, without credentials: for logs and health. */
  label: string;
  /**
   * The postgres:// URL this was opened with (credentials included): for a worker thread that
   * opens its own connection (audit verification). Undefined on PGlite.
   */
  connectionUrl?: string;
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs fn on one dedicated connection (advisory locks and transactions need that). */
  session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /**
   * One statement as its own transaction, committed (durably, as any commit) when it returns,
   * on a connection whose statement_timeout and lock_timeout are `timeoutMs`: one round trip
   * where BEGIN, SET LOCAL, the statement and COMMIT take three. Statements of the same `lane`
   * reach the server in the order they were issued (one connection per lane), so a statement
   * built on the outcome of the one before it never overtakes it. Null on PGlite, whose one
   * connection is shared by the whole process (a statement could land inside another's
   * transaction): use a session there. `name`: the statement is prepared once per connection
   * under that name (one name, one text) and then only bound and executed: no parse and
   * planning per call, and its text is not sent again.
   */
  timedStatement: (<T = Record<string, unknown>>(text: string, params: unknown[], o: { timeoutMs: number; lane: string; name?: string }) => Promise<T[]>) | null;
  adapter(): PrismaPg | PrismaPGlite;
  close(): Promise<void>;
}

export function postgresDatabase(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const u = new URL(url);
  // Lanes: single-connection pools (FIFO, reconnecting) whose connections carry the timeouts,
  // per timeout value (in practice one); a lane name always maps to the same one.
  const LANES = Math.max(1, Math.min(4, poolSize));
  const timed = new Map<number, pg.Pool[]>();
  const lanePool = (ms: number, lane: string) => {
    let pools = timed.get(ms);
    if (!pools) {
      pools = Array.from({ length: LANES }, () => {
        const p = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 5_000, statement_timeout: ms, lock_timeout: ms });
        p.on("error", () => {});
        return p;
      });
      timed.set(ms, pools);
    }
    let h = 0;
    for (let i = 0; i < lane.length; i++) h = (h * 31 + lane.charCodeAt(i)) | 0;
    return pools[Math.abs(h) % pools.length];
  };
  return {
    kind: "postgres",
    label: `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`,
    connectionUrl: url,
    async query(text, params) {
      return (await pool.query(text, params as unknown[])).rows;
    },
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => (await client.query(text, params as unknown[])).rows,
          exec: async (script) => {
            await client.query(script);
          },
        });
      } finally {
        client.release();
      }
    },
    timedStatement: async (text, params, o) => {
      const p = lanePool(Math.max(1, Math.floor(o.timeoutMs)), o.lane);
      return (o.name ? await p.query({ name: o.name, text, values: params }) : await p.query(text, params)).rows;
    },
    adapter: () => new PrismaPg(pool),
    close: async () => {
      await Promise.all([pool.end(), ...[...timed.values()].flat().map((p) => p.end())]);
    },
  };
}

/** Embedded Postgres (PGlite): `dataDir` on disk, or in memory when undefined. */
export function pgliteDatabase(dataDir?: string): Database {
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  const s: SqlSession = {
    query: async (text, params) => (await db.query(text, params as unknown[])).rows as never,
    exec: async (script) => {
      await db.exec(script);
    },
  };
  return {
    kind: "pglite",
    label: dataDir ? `pglite:${dataDir}` : "pglite:memory",
    query: s.query,
    session: (fn) => fn(s),
    timedStatement: null,
    adapter: () => new PrismaPGlite(db),
    close: () => db.close(),
  };
}
