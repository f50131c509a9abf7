import { afterAll, beforeAll, expect, test } from "vitest";
import type { Db } from "@/lib/db/client";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import type { AuditLog } from "./log";
import { makeAuditLog } from "./testing";

/**
 * Group commit on Postgres: each batch is one statement (one round trip) hashed from the end of
 * the batch before it and sent behind it on the tenant's lane. Under a steady stream of appends
 * (each answered by another, as the gateway's decision and outcome records are), only the first
 * batch may take the slow path (a transaction that locks and reads the head): a batch that
 * overtook its predecessor, or a pipeline stuck on an unknown head, would show up as more.
 * Counts, not timings. PGlite has no lanes (one connection): Postgres only.
 */
const pg = Boolean(env().DATABASE_URL);
let db: TestDb;
let log: AuditLog;
const counts = { transactions: 0, statements: 0 };

beforeAll(async () => {
  if (!pg) return;
  db = await createTestDb();
  const statement = db.sql.timedStatement!;
  const counted: Db = {
    ...db,
    sql: {
      ...db.sql,
      session: (fn) => {
        counts.transactions++;
        return db.sql.session(fn);
      },
      timedStatement: (text, params, o) => {
        counts.statements++;
        return statement(text, params, o);
      },
    },
  };
  log = makeAuditLog(counted);
});
afterAll(async () => {
  log?.close();
  await db?.drop();
});

test.skipIf(!pg)("a steady stream of appends commits batch after batch in one round trip each, the chain intact", async () => {
  const appends: Promise<unknown>[] = [];
  for (let tick = 0; tick < 300; tick++) {
    await new Promise((r) => setImmediate(r));
    for (let k = 0; k < 4; k++) {
      appends.push(
        log
          .append({ tenant: "lanes", kind: "tool_decision", tool: "x.y", args: { tick, k } })
          .then(() => log.append({ tenant: "lanes", kind: "tool_result", tool: "x.y", upstreamOutcome: "ok" })),
      );
    }
  }
  await Promise.all(appends);
  const v = await log.verify("lanes");
  expect(v).toMatchObject({ ok: true, count: 2400 });
  expect(counts.transactions).toBe(1);
  expect(counts.statements).toBeGreaterThan(1);
}, 60_000);
