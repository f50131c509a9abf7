import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { makeAuditLog, testKeys } from "./testing";

// Issue 17: rotating the audit signing key keeps the old records verifiable. Checkpoints name the
// key that signed them (key_id); the server verifies with its current key plus the earlier public
// keys it is given (CANOPY_AUDIT_PREVIOUS_PUBLIC_KEYS).
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

describe("audit key rotation", () => {
  const before = testKeys();
  const after = testKeys();

  test.each([
    ["with the earlier key listed, the whole chain verifies across the rotation", [before.publicKeyPem], { ok: true }],
    ["without it, the old checkpoints are reported, not silently skipped", [] as string[], { ok: false, problem: "bad_signature" }],
  ])("%s", async (_label, extra, expected) => {
    const tenant = `rot-${extra.length}`;
    const first = makeAuditLog(db, before, { checkpointEvery: 5 });
    for (let i = 0; i < 7; i++) await first.append({ tenant, kind: "tool_decision", tool: "t.a", reason: `before ${i}` });
    await first.checkpointNow(tenant);
    first.close();

    const second = makeAuditLog(db, after, { checkpointEvery: 5, extraPublicKeys: extra });
    for (let i = 0; i < 6; i++) await second.append({ tenant, kind: "tool_decision", tool: "t.a", reason: `after ${i}` });
    await second.checkpointNow(tenant);
    const v = await second.verify(tenant);
    second.close();
    expect(v).toMatchObject(expected);
    if (v.ok) {
      expect(v.count).toBe(13);
      expect(v.checkpoints_verified).toBeGreaterThanOrEqual(2);
    }
  });
});
