import { afterEach, describe, expect, test } from "vitest";
import { selfTestRange, VerifyPool, workerSource } from "./verify-pool";

let pool: VerifyPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

const t = selfTestRange();

describe("VerifyPool", () => {
  test("workers check a range as the caller's thread does", async () => {
    pool = await VerifyPool.start({ size: 2 }, t);
    expect(pool?.size).toBe(2);
    const { summary } = await pool!.run(t.rows, t.tenant, t.cpSeqs);
    expect(summary).toMatchObject({ n: 3, bad: null, declined: [], cpHashes: [[2, t.rows[1][2]]] });
    const edited = t.rows.map((r, i) => (i === 1 ? r.map((v, j) => (j === 12 ? "edited" : v)) : r));
    expect((await pool!.run(edited, t.tenant, [])).summary.bad).toEqual({ index: 1, why: "hash" });
  });

  test.each([
    ["exits", "process.exit(3)", /exited \(code 3\)/],
    ["throws", "throw new Error('boom')", /failed \(boom\)/],
  ])("a worker that %s mid-run fails every range after, with a clear error", async (_label, crash, message) => {
    // Listens before the real loop, so it dies before answering its second range.
    const source = `let seen = 0;\nrequire("node:worker_threads").parentPort.on("message", () => { if (++seen > 1) ${crash}; });\n${workerSource()}`;
    pool = await VerifyPool.start({ size: 1, source }, t);
    // The range it dies on may or may not have been answered (a throw does not stop the real loop);
    // nothing asked after that is ever answered.
    await Promise.allSettled([pool!.run(t.rows, t.tenant, [])]);
    await expect(pool!.run(t.rows, t.tenant, [])).rejects.toMatchObject({ code: "audit_verify_failed", message: expect.stringMatching(message) });
  });

  test("no worker that passes its self-test: no pool (the caller verifies in its own thread)", async () => {
    expect(await VerifyPool.start({ size: 2, source: "process.exit(1)" }, t)).toBeNull();
    expect(await VerifyPool.start({ size: 0 }, t)).toBeNull();
  });

  test.each([
    ["the driver cannot be loaded", { url: "postgresql://127.0.0.1:5432/x", pgPath: "/nonexistent/pg/index.js", sql: "SELECT 1" }],
    ["the database cannot be reached", { url: "postgresql://127.0.0.1:1/x", pgPath: require.resolve("pg"), sql: "SELECT 1" }],
  ])("workers that cannot read ranges (%s) are not used", async (_label, reader) => {
    expect(await VerifyPool.start({ size: 1, reader }, t)).toBeNull();
  });
});
