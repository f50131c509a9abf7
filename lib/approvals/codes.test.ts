import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { digest } from "@/lib/canonical";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import { approvalCode, CODE_LENGTH, LEGACY_CODE_APPROVER, matchApprover, normalizeCode, sameCode } from "./codes";
import { type ApprovalEvent, ApprovalEvents } from "./events";
import { type ApprovalService, createApprovalService } from "./service";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "./testing";

const EXPIRES = new Date("2026-11-30T12:00:00Z");

describe("approval codes (pure)", () => {
  test.each([
    ["another approval", "appr_b", "alice", EXPIRES],
    ["another approver", "appr_a", "bob", EXPIRES],
    ["another expiry", "appr_a", "alice", new Date("2026-11-30T12:00:01Z")],
  ])("a code is bound to approval, approver and expiry: %s gives a different code", (_label, id, approver, expires) => {
    const code = approvalCode(FIXTURE_SECRET, "appr_a", "alice", EXPIRES);
    expect(code).toMatch(new RegExp(`^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{${CODE_LENGTH - 5}}$`));
    expect(approvalCode(FIXTURE_SECRET, id, approver, expires)).not.toBe(code);
  });

  test("the same inputs give the same code (inbox and Slack agree); another secret does not", () => {
    expect(approvalCode(FIXTURE_SECRET, "appr_a", "alice", EXPIRES)).toBe(approvalCode(FIXTURE_SECRET, "appr_a", "alice", EXPIRES));
    expect(approvalCode("another-secret-0123456789", "appr_a", "alice", EXPIRES)).not.toBe(approvalCode(FIXTURE_SECRET, "appr_a", "alice", EXPIRES));
  });

  test.each([
    ["lower case", (c: string) => c.toLowerCase()],
    ["without the dash", (c: string) => c.replace("-", "")],
    ["with spaces", (c: string) => ` ${c.slice(0, 5)} ${c.slice(6)} `],
  ])("a code typed %s still matches its approver", (_label, typed) => {
    const code = approvalCode(FIXTURE_SECRET, "appr_a", "bob", EXPIRES);
    expect(matchApprover(FIXTURE_SECRET, "appr_a", EXPIRES, ["alice", "bob", "carol"], typed(code))).toBe("bob");
  });

  test.each([
    ["a wrong code", "AAAAA-AAAAA"],
    ["an empty code", ""],
    ["a code of another approval", approvalCode(FIXTURE_SECRET, "appr_b", "bob", EXPIRES)],
    ["a code of an approver who did not reveal", approvalCode(FIXTURE_SECRET, "appr_a", "dave", EXPIRES)],
  ])("%s matches nobody", (_label, code) => {
    expect(matchApprover(FIXTURE_SECRET, "appr_a", EXPIRES, ["alice", "bob", "carol"], code)).toBeNull();
  });

  test("sameCode compares digests (inputs of different lengths do not throw)", () => {
    expect(sameCode("123456", "123456")).toBe(true);
    expect(sameCode("123456", "1234567")).toBe(false);
    expect(normalizeCode("o1l-i")).toBe("0111");
  });
});

const redisUrl = env().REDIS_URL;
let db: TestDb;
let kv: KvStore;
const ns = uniqueNamespace();
const events: ApprovalEvent[] = [];
let off: () => void;
let svc: ApprovalService;
let legacySvc: ApprovalService;
const LEGACY = "legacy-global-code-123";
let skew = 0;
const clock = () => Date.now() + skew;

beforeAll(async () => {
  db = await createTestDb();
  await seedApprovalFixtures(db.prisma);
  kv = redisUrl ? redisKv(redisUrl, 2000) : memoryKv();
  const base = { prisma: db.prisma, kv, hmacSecret: FIXTURE_SECRET, now: clock, log: { warn() {}, error() {} }, codeAttempts: { perApproval: 3, perCaller: 100, windowMs: 60_000 } };
  const bus = new ApprovalEvents();
  svc = createApprovalService({ ...base, namespace: ns, events: bus });
  legacySvc = createApprovalService({ ...base, namespace: ns, legacyApprovalCode: LEGACY, events: bus });
  off = bus.on((e) => void events.push(e));
});

afterAll(async () => {
  off?.();
  await svc?.close();
  await legacySvc?.close();
  await kv?.close();
  await db?.drop();
});

const RULE = "c".repeat(64);
let n = 0;
async function pending(required = 2, group: string | null = "secops") {
  const args = { amount_cents: 20000, op: "refund", n: ++n };
  const { approval } = await svc.create({ tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", args, approverGroup: group, requiredApprovals: required, ruleHash: RULE, quorumSource: "rule" });
  return { approval, args };
}
async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("revealing and completing with codes (Postgres + the KV store)", () => {
  test("two approvers' codes make two votes (N-of-M kept); the approval then unlocks the exact call once", async () => {
    const { approval, args } = await pending(2);
    const a = await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    const b = await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "bob" });
    expect(a.approval_code).not.toBe(b.approval_code);
    expect((await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice" })).approval_code).toBe(a.approval_code);
    const first = await svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code });
    expect(first).toMatchObject({ status: "pending", approver: "alice", approvals: 1, remaining_approvals: 1, via: "code" });
    const second = await svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: b.approval_code });
    expect(second).toMatchObject({ status: "approved", approver: "bob", approvals: 2 });
    const used = await svc.consume({ id: approval.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", argsDigest: digest(args), gate: { ruleHash: RULE, requiredApprovals: 2, approverGroup: "secops" } });
    expect(used.ok).toBe(true);
  });

  test("a code works once: the second use is refused as already voted", async () => {
    const { approval } = await pending(2);
    const a = await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    await svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code });
    const again = await refusal(svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code }));
    expect(again).toMatchObject({ status: 409, code: "already_voted" });
    expect((await svc.get(approval.id, FIXTURE_TENANT)).approvals).toBe(1);
  });

  test.each([
    ["the subject itself", "agent-42", "self_approval"],
    ["an approver outside the rule's group", "erin", "not_eligible"],
    ["a viewer without the approver role", "victor", "not_eligible"],
    ["a stranger", "mallory", "not_eligible"],
  ])("%s cannot reveal a code (refused, audited)", async (_label, who, code) => {
    const { approval } = await pending(2);
    const err = await refusal(svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: who }));
    expect(err.code).toBe(code);
    expect(events.some((e) => e.kind === "approval_refused" && e.approvalId === approval.id && e.action === "code")).toBe(true);
  });

  test("another tenant's approval does not exist for the caller", async () => {
    const { approval } = await pending(1, null);
    const err = await refusal(svc.revealCode({ id: approval.id, tenant: "other-tenant", approver: "alice" }));
    expect(err.status).toBe(404);
    const a = await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    expect((await refusal(svc.completeWithCode({ id: approval.id, tenant: "other-tenant", caller: "x", code: a.approval_code }))).status).toBe(404);
    expect((await svc.get(approval.id, FIXTURE_TENANT)).approvals).toBe(0);
  });

  test("a code bound to one approval does nothing on another", async () => {
    const one = await pending(2);
    const two = await pending(2);
    const a = await svc.revealCode({ id: one.approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    await svc.revealCode({ id: two.approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    const err = await refusal(svc.completeWithCode({ id: two.approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code }));
    expect(err).toMatchObject({ status: 403, code: "invalid_approval_code" });
    expect((await svc.get(two.approval.id, FIXTURE_TENANT)).approvals).toBe(0);
  });

  test("wrong codes are audited and throttled per approval: past the limit even the right code waits (429)", async () => {
    const { approval } = await pending(2);
    const a = await svc.revealCode({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice" });
    for (let i = 0; i < 3; i++) {
      expect((await refusal(svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: `WRONG-${i}` }))).code).toBe("invalid_approval_code");
    }
    const throttled = await refusal(svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code }));
    expect(throttled).toMatchObject({ status: 429, code: "too_many_attempts" });
    expect(events.filter((e) => e.kind === "approval_refused" && e.approvalId === approval.id && e.code === "invalid_approval_code")).toHaveLength(3);
    expect((await svc.get(approval.id, FIXTURE_TENANT)).approvals).toBe(0);
  });

  test("an expired approval's code is refused (it expires with the approval)", async () => {
    const { approval: created } = await svc.create({ tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", args: { n: ++n }, requiredApprovals: 1, expiresInSeconds: 5 });
    const a = await svc.revealCode({ id: created.id, tenant: FIXTURE_TENANT, approver: "alice" });
    skew = 10_000;
    try {
      const err = await refusal(svc.completeWithCode({ id: created.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: a.approval_code }));
      expect(err.code).toBe("expired");
    } finally {
      skew = 0;
    }
  });
});

describe("the legacy global APPROVAL_CODE", () => {
  test("off (the default): the global code is just a wrong code", async () => {
    const { approval } = await pending(1, null);
    expect((await refusal(svc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: LEGACY }))).code).toBe("invalid_approval_code");
  });

  test("on: it completes a 1-approval rule that names no group, and that vote unlocks the call", async () => {
    const { approval, args } = await pending(1, null);
    expect(await legacySvc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: LEGACY })).toMatchObject({ status: "approved", approver: LEGACY_CODE_APPROVER });
    const used = await legacySvc.consume({ id: approval.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", argsDigest: digest(args), gate: { ruleHash: RULE, requiredApprovals: 1, approverGroup: null } });
    expect(used.ok).toBe(true);
  });

  test.each([
    ["two approvals", 2, null],
    ["an approver group", 1, "secops"],
  ])("on: it is refused for a rule that needs %s", async (_label, required, group) => {
    const { approval } = await pending(required, group);
    const err = await refusal(legacySvc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: LEGACY }));
    expect(err).toMatchObject({ status: 403, code: "legacy_code_not_allowed" });
    expect((await svc.get(approval.id, FIXTURE_TENANT)).approvals).toBe(0);
  });

  test("a legacy vote does not unlock a call once the legacy mode is off", async () => {
    const { approval, args } = await pending(1, null);
    await legacySvc.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: LEGACY });
    const used = await svc.consume({ id: approval.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", argsDigest: digest(args), gate: { ruleHash: RULE, requiredApprovals: 1, approverGroup: null } });
    expect(used).toMatchObject({ ok: false, code: "quorum_not_met" });
  });
});

describe("the Slack message to each approver carries their code", () => {
  test("a new approval sends each linked eligible approver (not the subject, not outside the group) a DM with a code that works for them", async () => {
    const sent: { approver: string; slackUserId: string; code: string }[] = [];
    const notifier = {
      created: async () => null,
      updated: async () => {},
      personalCode: async (_a: unknown, to: { approver: string; slackUserId: string }, code: string) => void sent.push({ ...to, code }),
    };
    const withSlack = createApprovalService({ prisma: db.prisma, kv, hmacSecret: FIXTURE_SECRET, namespace: ns, notifier, log: { warn() {}, error() {} } });
    const { approval } = await withSlack.create({ tenant: FIXTURE_TENANT, subject: "agent-42", tool: "refunds.refund", args: { n: ++n }, approverGroup: "secops", requiredApprovals: 2, ruleHash: RULE, quorumSource: "rule" });
    await withSlack.flush();
    // alice, bob and carol are secops approvers linked to Slack; erin (finance) and victor (viewer) are not eligible.
    expect(sent.map((s) => s.approver).sort()).toEqual(["alice", "bob", "carol"]);
    expect(sent.find((s) => s.approver === "bob")!.slackUserId).toBe("UBOB0001");
    const bob = sent.find((s) => s.approver === "bob")!;
    expect(await withSlack.completeWithCode({ id: approval.id, tenant: FIXTURE_TENANT, caller: "agent-42", code: bob.code })).toMatchObject({ approver: "bob", approvals: 1 });
    await withSlack.close();
  });
});
