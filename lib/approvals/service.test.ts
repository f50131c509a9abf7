import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { digest } from "@/lib/canonical";
import { makeAuditLog } from "@/lib/audit/testing";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import { type ApprovalEvent, ApprovalEvents } from "./events";
import { type ApprovalService, createApprovalService } from "./service";
import { signDecision } from "./signature";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "./testing";

const redisUrl = env().REDIS_URL;
let db: TestDb;
let kv: KvStore;
let skew = 0;
const clock = () => Date.now() + skew;
let svc: ApprovalService;
const events: ApprovalEvent[] = [];
const bus = new ApprovalEvents();
let offEvents: () => void;

function makeService(store: KvStore, namespace: string) {
  return createApprovalService({ prisma: db.prisma, kv: store, hmacSecret: FIXTURE_SECRET, now: clock, namespace, events: bus, log: { warn() {}, error() {} } });
}

let ns: string;
beforeAll(async () => {
  db = await createTestDb();
  await seedApprovalFixtures(db.prisma);
  kv = redisUrl ? redisKv(redisUrl, 2000) : memoryKv(clock);
  ns = uniqueNamespace();
  svc = makeService(kv, ns);
  offEvents = bus.on((e) => void events.push(e));
});

afterAll(async () => {
  offEvents?.();
  await svc?.close();
  await kv?.close();
  await db?.drop();
});

const args = { path: "/etc/hosts", content: "malicious", api_token: "s3cr3t" };
/** The identity of the policy rule the approvals below were asked for (as the gateway stamps it). */
const RULE_HASH = "a".repeat(64);
const gate = (requiredApprovals: number, approverGroup: string | null = "secops") => ({ ruleHash: RULE_HASH, requiredApprovals, approverGroup });
let seq = 0;
async function newApproval(over: Partial<Parameters<ApprovalService["create"]>[0]> = {}) {
  const { approval } = await svc.create({
    tenant: FIXTURE_TENANT,
    subject: "agent-42",
    tool: "fs.write",
    args: { ...args, n: ++seq },
    summary: "Write to /etc/hosts by agent-42",
    rule: "FS-write outside jail requires dual approval",
    reason: "Write outside jail requires two approvers",
    approverGroup: "secops",
    requiredApprovals: 2,
    ruleHash: RULE_HASH,
    quorumSource: "rule",
    ...over,
  });
  return approval;
}
const vote = (id: string, approver: string, decision: "approved" | "rejected" = "approved", extra: Partial<Parameters<ApprovalService["decide"]>[0]> = {}) =>
  svc.decide({ id, tenant: FIXTURE_TENANT, approver, decision, via: "inbox", requireSignature: false, ...extra });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe(`approval store (${redisUrl ? "Redis" : "in-process KV"}, ${env().DATABASE_URL ? "Postgres" : "PGlite"})`, () => {
  test("create: seed 000 pending_id maps to appr_<id>, args redacted for display, digest over the originals, idempotent", async () => {
    const body = { id: "abc123", tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", args, requiredApprovals: 2, summary: "Write to /etc/hosts by agent-42" };
    const first = await svc.create(body);
    expect(first.created).toBe(true);
    expect(first.approval).toMatchObject({
      id: "appr_abc123",
      status: "pending",
      required_approvals: 2,
      remaining_approvals: 2,
      args_digest: digest(args),
      args: { path: "/etc/hosts", content: "malicious", api_token: { redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    });
    expect(first.approval.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const expiresIn = Date.parse(first.approval.expires_at) - clock();
    expect(expiresIn).toBeGreaterThan(3_590_000);
    expect(expiresIn).toBeLessThanOrEqual(3_600_000);
    const again = await svc.create(body);
    expect(again).toMatchObject({ created: false, approval: { id: "appr_abc123" } });
    const clash = await refusal(svc.create({ ...body, args: { path: "/etc/passwd" } }));
    expect(clash.status).toBe(409);
    const noTenant = await refusal(svc.create({ ...body, id: "x1", tenant: "no-such-tenant" }));
    expect(noTenant.status).toBe(404);
  });

  test("dual control: two different approvers approve; a third vote is refused; the requester and outsiders never count", async () => {
    const a = await newApproval();
    expect((await refusal(vote(a.id, "agent-42"))).code).toBe("self_approval");
    expect((await refusal(vote(a.id, "erin"))).code).toBe("not_eligible"); // approver, wrong group
    expect((await refusal(vote(a.id, "victor"))).code).toBe("not_eligible"); // in group, no approver role
    expect((await refusal(vote(a.id, "nobody"))).code).toBe("not_eligible"); // not a member
    expect(await vote(a.id, "alice")).toMatchObject({ status: "pending", approvals: 1, remaining_approvals: 1 });
    expect((await refusal(vote(a.id, "alice"))).code).toBe("already_voted");
    expect(await vote(a.id, "bob", "approved", { comment: "ok" })).toMatchObject({ status: "approved", approvals: 2, remaining_approvals: 0 });
    expect((await refusal(vote(a.id, "carol", "rejected"))).code).toBe("final");
    const view = await svc.get(a.id, FIXTURE_TENANT, "carol");
    expect(view.status).toBe("approved");
    expect(view.votes.map((v) => [v.approver, v.decision, v.via]).sort()).toEqual([["alice", "approved", "inbox"], ["bob", "approved", "inbox"]]);
    expect(view.viewer).toMatchObject({ can_decide: false, voted: null });
  });

  test("deny precedence: one deny rejects immediately", async () => {
    const a = await newApproval();
    await vote(a.id, "alice");
    expect(await vote(a.id, "carol", "rejected", { comment: "too risky" })).toMatchObject({ status: "rejected" });
    expect((await refusal(vote(a.id, "bob"))).code).toBe("final");
  });

  test("another tenant's approval does not exist for the caller", async () => {
    const a = await newApproval();
    expect((await refusal(svc.get(a.id, "other-tenant"))).status).toBe(404);
    expect((await refusal(svc.decide({ id: a.id, tenant: "other-tenant", approver: "alice", decision: "approved", via: "api", requireSignature: false }))).status).toBe(404);
  });

  test("concurrent votes from many approvers on a 3-of-N: exactly three count, the rest see it final", async () => {
    for (let round = 0; round < 5; round++) {
      const a = await newApproval({ requiredApprovals: 3 });
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => vote(a.id, `approver-${i}`)));
      const accepted = results.filter((r) => r.status === "fulfilled");
      expect(accepted).toHaveLength(3);
      const view = await svc.get(a.id, FIXTURE_TENANT);
      expect(view).toMatchObject({ status: "approved", approvals: 3 });
      expect(view.votes).toHaveLength(3);
    }
  });

  test("seed 003 signatures: required for API decisions, stored server-side for every vote, verifiable", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    const bad = await refusal(vote(a.id, "alice", "approved", { via: "api", requireSignature: true, signature: "00".repeat(32) }));
    expect(bad).toMatchObject({ status: 403, code: "invalid_signature" });
    // A signature for another decision or approver is just as wrong.
    const forBob = signDecision(FIXTURE_SECRET, a.id, "approved", "bob", Date.parse(a.expires_at));
    expect((await refusal(vote(a.id, "alice", "approved", { via: "api", requireSignature: true, signature: forBob }))).code).toBe("invalid_signature");
    const sig = signDecision(FIXTURE_SECRET, a.id, "approved", "alice", Date.parse(a.expires_at));
    const r = await vote(a.id, "alice", "approved", { via: "api", requireSignature: true, signature: sig });
    expect(r).toMatchObject({ status: "approved", signature: sig });
    expect(await svc.verify({ id: a.id, tenant: FIXTURE_TENANT, signature: sig })).toEqual({
      valid: true,
      approval: { id: a.id, status: "approved", decision: "approved", approver: "alice", expires_at: a.expires_at },
    });
    expect(await svc.verify({ id: a.id, tenant: FIXTURE_TENANT, signature: forBob })).toEqual({ valid: false, error: "Invalid signature" });
    // The signed message, spelled out (seed 003's formula, our expires_at form).
    const { createHmac } = await import("node:crypto");
    expect(sig).toBe(createHmac("sha256", FIXTURE_SECRET).update(`${a.id}:approved:alice:${a.expires_at}`).digest("hex"));
  });

  test("100 parallel consumeApproval calls for one approval: exactly one succeeds", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    await vote(a.id, "alice");
    const call = { id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(1) };
    const results = await Promise.all(Array.from({ length: 100 }, () => svc.consume(call)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const losers = results.filter((r) => !r.ok);
    expect(new Set(losers.map((r) => !r.ok && r.code))).toEqual(new Set(["already_executed"]));
    const view = await svc.get(a.id, FIXTURE_TENANT);
    expect(view.status).toBe("executed");
    expect(view.executed_at).not.toBeNull();
  });

  test("consumeApproval binds the exact call: other args, tool, subject or tenant are refused and do not use it up", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    const call = { id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(1) };
    expect(await svc.consume(call)).toMatchObject({ ok: false, code: "not_approved" });
    await vote(a.id, "alice");
    expect(await svc.consume({ ...call, argsDigest: digest({ path: "/etc/shadow" }) })).toMatchObject({ ok: false, code: "binding_mismatch" });
    expect(await svc.consume({ ...call, tool: "fs.delete" })).toMatchObject({ ok: false, code: "binding_mismatch" });
    expect(await svc.consume({ ...call, subject: "agent-7" })).toMatchObject({ ok: false, code: "binding_mismatch" });
    expect(await svc.consume({ ...call, tenant: "other-tenant" })).toMatchObject({ ok: false, code: "not_found" });
    expect(await svc.consume({ ...call, id: "appr_missing" })).toMatchObject({ ok: false, code: "not_found" });
    expect(await svc.consume({ ...call, now: Date.parse(a.expires_at) })).toMatchObject({ ok: false, code: "expired" });
    expect(await svc.consume(call)).toMatchObject({ ok: true, approval: { id: a.id, status: "executed" } });
    expect(await svc.consume(call)).toMatchObject({ ok: false, code: "already_executed" });
  });

  test("spending an approval and its call's audit record commit together: a failed append leaves both unwritten", async () => {
    const log = makeAuditLog(db);
    const a = await newApproval({ requiredApprovals: 1 });
    await vote(a.id, "alice");
    const call = { id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(1) };
    const record = (approval: { id: string }) => ({ tenant: FIXTURE_TENANT, kind: "tool_decision", subject: "agent-42", tool: "fs.write", decision: "allow", approvalId: approval.id, reason: "approved" });
    const before = await log.search(FIXTURE_TENANT, { limit: 200, approval_id: a.id });
    // The append fails after its insert: the whole transaction rolls back.
    const failing = svc.consume({
      ...call,
      within: async (q, approval) => {
        await log.appendInTransaction(q, record(approval));
        throw new Error("simulated crash after the audit insert");
      },
    });
    await expect(failing).rejects.toThrow(/simulated crash/);
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("approved");
    expect((await log.search(FIXTURE_TENANT, { limit: 200, approval_id: a.id } as never)).records).toHaveLength(before.records.length);
    // Written together: the approval is executed and its record is in the chain, which still verifies.
    let appended: Awaited<ReturnType<typeof log.appendInTransaction>> | undefined;
    const spent = await svc.consume({ ...call, within: async (q, approval) => void (appended = await log.appendInTransaction(q, record(approval))) });
    expect(spent).toMatchObject({ ok: true, approval: { status: "executed" } });
    log.committed(appended!);
    const rows = (await log.search(FIXTURE_TENANT, { limit: 200, approval_id: a.id } as never)).records.filter((r) => r.kind === "tool_decision");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ seq: appended!.seq, hash: appended!.hash, decision: "allow" });
    // Batched appends after the in-transaction one hash from the head it left.
    await log.append({ tenant: FIXTURE_TENANT, kind: "tool_result", approvalId: a.id, decision: "allow" });
    expect(await log.verify(FIXTURE_TENANT)).toMatchObject({ ok: true });
    log.close();
  });

  test("waitForResolution returns when the decision lands, and times out while pending", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    expect(await svc.waitForResolution(a.id, 100)).toEqual({ id: a.id, status: "pending", timedOut: true });
    // The vote is cast once the waiter is registered (its onWaiting event), not after a sleep.
    let markWaiting!: () => void;
    const registered = new Promise<void>((r) => (markWaiting = r));
    const waiting = svc.waitForResolution(a.id, 60_000, { onWaiting: () => markWaiting() });
    await registered;
    await vote(a.id, "bob");
    // A 60 s wait that ends, not timed out, with the decision (the suite's 30 s limit fails a missed wake-up).
    expect(await waiting).toEqual({ id: a.id, status: "approved", timedOut: false });
    // Already resolved: immediate.
    expect(await svc.waitForResolution(a.id, 10_000)).toMatchObject({ status: "approved", timedOut: false });
    await expect(svc.waitForResolution("appr_missing", 100)).rejects.toMatchObject({ status: 404 });
  });

  test("an expiry inside the wait ends the wait as expired", async () => {
    const a = await newApproval({ expiresInSeconds: 1 });
    // A 60 s wait ends as expired, not timed out: the expiry ended it.
    const r = await svc.waitForResolution(a.id, 60_000);
    expect(r).toEqual({ id: a.id, status: "expired", timedOut: false });
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("expired");
    expect((await refusal(vote(a.id, "alice"))).code).toBe("expired");
  });

  test("the sweeper expires overdue approvals from the Redis TTL index and announces them", async () => {
    const a = await newApproval();
    const b = await newApproval({ expiresInSeconds: 7200 });
    skew = 3_601_000;
    try {
      const { expired } = await svc.sweep();
      expect(expired).toContain(a.id);
      expect(expired).not.toContain(b.id);
      expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("expired");
      expect((await svc.get(b.id, FIXTURE_TENANT)).status).toBe("pending");
      expect(events.some((e) => e.kind === "approval_resolution" && e.approval.id === a.id && e.approval.status === "expired")).toBe(true);
    } finally {
      skew = 0;
    }
  });

  test("Redis restart loses no approval: a fresh, empty Redis is rebuilt from Postgres and the sweeper still expires", async () => {
    const a = await newApproval();
    const b = await newApproval({ expiresInSeconds: 7200 });
    await vote(a.id, "alice");
    // Simulate the restart: the TTL index and its marker are gone (and a brand-new connection).
    await kv.del(svc.keys.ttlKey);
    await kv.del(svc.keys.ttlMarker);
    const freshKv = redisUrl ? redisKv(redisUrl, 2000) : memoryKv(clock);
    const after = makeService(freshKv, ns);
    try {
      // Nothing lost: state and votes come from Postgres.
      expect(await after.get(a.id, FIXTURE_TENANT)).toMatchObject({ status: "pending", approvals: 1, votes: [{ approver: "alice" }] });
      expect((await after.sweep()).rebuilt).toBe(true);
      expect(await freshKv.zrangeByScore(after.keys.ttlKey, -Infinity, Infinity)).toEqual(expect.arrayContaining([a.id, b.id]));
      skew = 3_601_000;
      const { expired } = await after.sweep();
      expect(expired).toContain(a.id);
      expect(expired).not.toContain(b.id);
      // Votes keep working on the new connection.
      expect(await after.decide({ id: b.id, tenant: FIXTURE_TENANT, approver: "carol", decision: "rejected", via: "api", requireSignature: false })).toMatchObject({ status: "rejected" });
    } finally {
      skew = 0;
      await after.close();
      await freshKv.close();
    }
  });

  test("with Redis down, expiry still happens from Postgres (fail-safe sweep) and votes still count", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    const deadKv = redisKv("redis://127.0.0.1:1", 100);
    const offline = makeService(deadKv, ns);
    try {
      skew = 3_601_000;
      const { expired } = await offline.sweep();
      expect(expired).toContain(a.id);
    } finally {
      skew = 0;
    }
    const b = await newApproval({ requiredApprovals: 1 });
    expect(await offline.decide({ id: b.id, tenant: FIXTURE_TENANT, approver: "alice", decision: "approved", via: "api", requireSignature: false })).toMatchObject({ status: "approved" });
    await offline.close();
    await deadKv.close();
  });

  test("lifecycle events for the audit log: request, vote, resolution, executed, refused", async () => {
    const a = await newApproval({ requiredApprovals: 1 });
    await vote(a.id, "alice");
    await svc.consume({ id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(1) });
    await svc.consume({ id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(1) });
    const mine = events.filter((e) => ("approval" in e ? e.approval.id : e.kind === "approval_refused" ? e.approvalId : "") === a.id).map((e) => e.kind);
    expect(mine).toEqual(["approval_request", "approval_vote", "approval_resolution", "approval_executed", "approval_refused"]);
  });

  test("listing: pending first, filters by status, tool and requester, viewer eligibility", async () => {
    const a = await newApproval({ tool: "db.drop", requiredApprovals: 1 });
    const list = await svc.list({ tenant: FIXTURE_TENANT, status: "pending", limit: 200 }, "carol");
    expect(list.approvals.every((x) => x.status === "pending")).toBe(true);
    expect(list.approvals.find((x) => x.id === a.id)?.viewer).toEqual({ can_decide: true, reason: null, voted: null });
    const asRequester = await svc.list({ tenant: FIXTURE_TENANT, status: "pending", tool: "db.drop", limit: 10 }, "agent-42");
    expect(asRequester.approvals[0].viewer).toMatchObject({ can_decide: false, reason: expect.stringMatching(/requester/) });
    const all = await svc.list({ tenant: FIXTURE_TENANT, status: "all", limit: 200 });
    const firstNonPending = all.approvals.findIndex((x) => x.status !== "pending");
    expect(all.approvals.slice(firstNonPending).every((x) => x.status !== "pending")).toBe(true);
    const executed = await svc.list({ tenant: FIXTURE_TENANT, status: "executed", limit: 200 });
    expect(executed.approvals.length).toBeGreaterThan(0);
    expect(executed.approvals.every((x) => x.status === "executed")).toBe(true);
    const other = await svc.list({ tenant: "other-tenant", status: "all", limit: 10 });
    expect(other.approvals).toEqual([]);
  });

  test.each([
    ["filed by hand (no rule identity)", { ruleHash: null, quorumSource: "requester" as const, requiredApprovals: 1, approverGroup: "finance" }, ["erin"], gate(2), "rule_mismatch"],
    ["granted under another rule", { ruleHash: "b".repeat(64), requiredApprovals: 2 }, ["alice", "bob"], gate(2), "rule_mismatch"],
    ["a quorum of 1 where the rule needs 2", { requiredApprovals: 1 }, ["alice"], gate(2), "quorum_not_met"],
    ["votes from outside the rule's group", { requiredApprovals: 2, approverGroup: null }, ["alice", "erin"], gate(2), "quorum_not_met"],
  ] as const)("the consume invariant refuses an approval %s, and leaves it approved", async (_label, over, voters, g, code) => {
    const a = await newApproval(over);
    for (const v of voters) await vote(a.id, v);
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("approved");
    const r = await svc.consume({ id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: g });
    expect(r).toMatchObject({ ok: false, code });
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("approved");
  });

  test("a voter removed from the rule's group since no longer counts; whoever filed the request cannot vote", async () => {
    const { upsertUserMembership } = await import("@/lib/db/users");
    await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "temp-approver", roles: ["approver"], groups: ["secops"] });
    const a = await newApproval({ requestedBy: "carol" });
    expect((await refusal(vote(a.id, "carol"))).code).toBe("self_approval");
    await vote(a.id, "alice");
    await vote(a.id, "temp-approver");
    await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "temp-approver", roles: ["approver"], groups: ["finance"] });
    const call = { id: a.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", argsDigest: a.args_digest, gate: gate(2) };
    expect(await svc.consume(call)).toMatchObject({ ok: false, code: "quorum_not_met", details: { counted: ["alice"], uncounted: [{ approver: "temp-approver" }] } });
    await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "temp-approver", roles: ["approver"], groups: ["secops"] });
    expect(await svc.consume(call)).toMatchObject({ ok: true });
  });

  test("refusals carry the statuses the API answers with: expired is 410, self-approval 403, double vote 409", async () => {
    const a = await newApproval({ expiresInSeconds: 1 });
    skew = 2_000;
    try {
      expect(await refusal(vote(a.id, "alice"))).toMatchObject({ status: 410, code: "expired" });
    } finally {
      skew = 0;
    }
    const b = await newApproval();
    expect(await refusal(vote(b.id, "agent-42"))).toMatchObject({ status: 403, code: "self_approval" });
    expect(await refusal(vote(b.id, "erin"))).toMatchObject({ status: 403, code: "not_eligible" });
    await vote(b.id, "alice");
    expect(await refusal(vote(b.id, "alice"))).toMatchObject({ status: 409, code: "already_voted" });
    expect(await refusal(svc.decide({ id: "appr_nope", tenant: FIXTURE_TENANT, approver: "alice", decision: "approved", via: "inbox", requireSignature: false }))).toMatchObject({ status: 404 });
    expect(await refusal(svc.decide({ id: b.id, tenant: "other-tenant", approver: "alice", decision: "approved", via: "inbox", requireSignature: false }))).toMatchObject({ status: 404 });
  });
});
