import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import type { Db } from "@/lib/db/client";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import type { AuditLog } from "./log";
import { auditSearchQuerySchema } from "./schemas";
import { makeAuditLog } from "./testing";

/**
 * Deferred appends (a forwarded call's outcome record): written with the tenant's next urgent
 * append, before it in the chain, in the same commit; an urgent append never waits for them.
 * Counts and order, not timings: the defer window is either far longer than any test or zero.
 */
let db: TestDb;
let log: AuditLog | undefined;
const counts = { writes: 0 };

/** The database with every write (a transaction, or a one-statement append on a lane) counted. */
function counted(d: Db): Db {
  const statement = d.sql.timedStatement;
  return {
    ...d,
    sql: {
      ...d.sql,
      session: (fn) => {
        counts.writes++;
        return d.sql.session(fn);
      },
      timedStatement: statement
        ? (text, params, o) => {
            counts.writes++;
            return statement(text, params, o);
          }
        : null,
    },
  };
}

/**
 * Writes are counted at the Postgres seams (lanes and sessions); the embedded database commits
 * through Prisma's own transaction, which these seams do not see: there only order and content are checked.
 */
const expectWrites = (n: number) => {
  if (db.url) expect(counts.writes).toBe(n);
};

const nextTurn = () => new Promise((r) => setImmediate(r));

beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(() => {
  counts.writes = 0;
});
afterEach(() => {
  log?.close();
  log = undefined;
});

test.each([
  ["one deferred record", "one", 1],
  ["three deferred records", "three", 3],
])("%s ride with the next urgent append: one write, deferred first in the chain", async (_label, tenant, n) => {
  log = makeAuditLog(counted(db), undefined, { deferMs: 3_600_000 });
  await log.append({ tenant, kind: "tool_decision", tool: "x.y" }); // the head is known from here on
  counts.writes = 0;
  const deferred = Array.from({ length: n }, (_, i) => log!.append({ tenant, kind: "tool_result", tool: "x.y", upstreamOutcome: `ok-${i}` }, { defer: true }));
  await nextTurn();
  await nextTurn();
  expectWrites(0);
  const urgent = await log.append({ tenant, kind: "tool_decision", tool: "x.y" });
  const written = await Promise.all(deferred);
  expect(written.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => 2 + i));
  expect(written.map((r) => r.upstream_outcome)).toEqual(Array.from({ length: n }, (_, i) => `ok-${i}`));
  expect(urgent.seq).toBe(2 + n);
  expectWrites(1);
  expect(await log.verify(tenant)).toMatchObject({ ok: true, count: 2 + n });
});

test("a deferred record alone waits; closing the log writes it", async () => {
  log = makeAuditLog(counted(db), undefined, { deferMs: 3_600_000 });
  const deferred = log.append({ tenant: "alone", kind: "tool_result", tool: "x.y", upstreamOutcome: "ok" }, { defer: true });
  await nextTurn();
  await nextTurn();
  // A read meanwhile (a round trip to the database) finds nothing written.
  expect((await log.search("alone", auditSearchQuerySchema.parse({ limit: 10 }))).records).toEqual([]);
  expectWrites(0);
  log.close();
  expect(await deferred).toMatchObject({ seq: 1, kind: "tool_result", upstream_outcome: "ok" });
  expectWrites(1);
});

test("with a zero defer window a deferred record is written by itself", async () => {
  log = makeAuditLog(counted(db), undefined, { deferMs: 0 });
  expect(await log.append({ tenant: "zero", kind: "tool_result", tool: "x.y", upstreamOutcome: "ok" }, { defer: true })).toMatchObject({ seq: 1 });
  expect(await log.verify("zero")).toMatchObject({ ok: true, count: 1 });
});

test("a deferred record keeps the time of the event, not of the turn it is written in", async () => {
  let now = new Date("2026-11-30T10:00:00.000Z");
  log = makeAuditLog(db, undefined, { deferMs: 3_600_000, now: () => now });
  const deferred = log.append({ tenant: "ts", kind: "tool_result", tool: "x.y", upstreamOutcome: "ok" }, { defer: true });
  now = new Date("2026-11-30T10:00:05.000Z");
  await nextTurn();
  const urgent = await log.append({ tenant: "ts", kind: "tool_decision", tool: "x.y" });
  expect((await deferred).ts).toBe("2026-11-30T10:00:00.000Z");
  expect(urgent.ts).toBe("2026-11-30T10:00:05.000Z");
});

test("an invalid deferred record rejects, and writes nothing", async () => {
  log = makeAuditLog(counted(db), undefined, { deferMs: 0 });
  await expect(log.append({ tenant: "", kind: "tool_result" }, { defer: true })).rejects.toThrow();
  expectWrites(0);
});
