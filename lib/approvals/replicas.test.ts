import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { type Replica, startReplica } from "./__fixtures__/replica-client";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "./testing";

const { DATABASE_URL, REDIS_URL } = env();
const shared = Boolean(DATABASE_URL && REDIS_URL);

// Two app processes need a Postgres and a Redis they can both reach; PGlite and the in-process
// KV are single-process by design, so without both URLs there is nothing meaningful to test.
describe.skipIf(!shared)(`two replicas sharing Postgres and Redis${shared ? "" : " (skipped: set DATABASE_URL and REDIS_URL)"}`, () => {
  let db: TestDb;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    db = await createTestDb();
    await seedApprovalFixtures(db.prisma);
    // The Postgres backstop is pushed past every wait here: a waiter that wakes (not timed out) was
    // woken by the other replica's pub/sub message, with no clock in the assertion.
    const childEnv = { DATABASE_URL: db.url!, REDIS_URL: REDIS_URL!, APPROVAL_NS: uniqueNamespace(), HMAC_SECRET: FIXTURE_SECRET, APPROVAL_BACKSTOP_MS: "600000" };
    a = startReplica(childEnv);
    b = startReplica(childEnv);
    await Promise.all([a.send({ op: "ready" }), b.send({ op: "ready" })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  const create = async (r: Replica, required: number) =>
    (
      await r.send<{ approval: { id: string } }>({
        op: "create",
        input: { tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", args: { path: "/etc/hosts", n: Math.random() }, approverGroup: "secops", requiredApprovals: required },
      })
    ).approval;

  function waitOn(r: Replica, id: string, timeoutMs: number) {
    let markWaiting!: () => void;
    const waiting = new Promise<void>((res) => (markWaiting = res));
    const done = r.send<{ result: { status: string; timedOut: boolean }; woke: number; pid: number }>({ op: "wait", id, timeoutMs }, () => markWaiting());
    return { waiting, done };
  }

  test("approving on replica B wakes waitForResolution on replica A at once (2-of-N: only the second approval wakes it)", async () => {
    expect(a.pid).not.toBe(b.pid);
    const approval = await create(a, 2);
    const w = waitOn(a, approval.id, 20_000);
    await w.waiting; // subscribed: the waiter said so
    let settled = false;
    void w.done.then(() => (settled = true));
    const first = await b.send<{ result: { status: string } }>({ op: "decide", id: approval.id, tenant: FIXTURE_TENANT, approver: "alice", decision: "approved" });
    expect(first.result.status).toBe("pending");
    // A waiter returns only on a final state (or its timeout): one approval of two cannot end it.
    await a.send({ op: "ready" });
    expect(settled).toBe(false);
    await b.send({ op: "decide", id: approval.id, tenant: FIXTURE_TENANT, approver: "bob", decision: "approved" });
    const woke = await w.done;
    expect(woke.result).toEqual({ id: approval.id, status: "approved", timedOut: false });
  });

  test("a deny on replica A wakes a waiter on replica B", async () => {
    const approval = await create(b, 2);
    const w = waitOn(b, approval.id, 20_000);
    await w.waiting;
    await a.send({ op: "decide", id: approval.id, tenant: FIXTURE_TENANT, approver: "carol", decision: "rejected" });
    const woke = await w.done;
    expect(woke.result).toEqual({ id: approval.id, status: "rejected", timedOut: false });
  });

  test("many concurrent waiters on both replicas all wake on one decision", async () => {
    const approval = await create(a, 1);
    const waits = [...Array.from({ length: 5 }, () => waitOn(a, approval.id, 20_000)), ...Array.from({ length: 5 }, () => waitOn(b, approval.id, 20_000))];
    await Promise.all(waits.map((w) => w.waiting));
    await b.send({ op: "decide", id: approval.id, tenant: FIXTURE_TENANT, approver: "dave", decision: "approved" });
    const results = await Promise.all(waits.map((w) => w.done));
    expect(results.map((r) => r.result.status)).toEqual(Array(10).fill("approved"));
  });
});
