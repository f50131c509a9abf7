import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { redactionConfig } from "@/lib/audit/redact";
import { digest } from "@/lib/canonical";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { memoryKv } from "@/lib/redis";
import type { ApprovalView } from "./schemas";
import { type ApprovalNotifier, type ApprovalService, createApprovalService } from "./service";
import { approvalMessage } from "./slack";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "./testing";

/**
 * What approvers and viewers see of an approval: its args, the seed 003 `context`, the summary and
 * reason an agent wrote, vote comments and the Slack message, all redacted before storage, while
 * the binding digest stays the digest of the real arguments.
 */

const SECRETS = ["hunter2", "s3cret", "AKIAIOSFODNN7EXAMPLE", "abc.def.ghi", "Tr0ub4dor"];
let db: TestDb;
let svc: ApprovalService;
const notified: ApprovalView[] = [];
const notifier: ApprovalNotifier = {
  created: async (a) => {
    notified.push(a);
    return null;
  },
  updated: async (a) => void notified.push(a),
};

beforeAll(async () => {
  db = await createTestDb();
  await seedApprovalFixtures(db.prisma);
  svc = createApprovalService({ prisma: db.prisma, kv: memoryKv(), hmacSecret: FIXTURE_SECRET, namespace: uniqueNamespace(), redaction: redactionConfig(), notifier, log: { warn() {}, error() {} } });
});

afterAll(async () => {
  await svc?.close();
  await db?.drop();
});

const leaks = (v: unknown) => SECRETS.filter((s) => JSON.stringify(v).includes(s));

describe("approvals are stored and shown redacted", () => {
  test("seed 003 context and args are redacted (keys and shapes), the digest binds the real arguments", async () => {
    const context = {
      file: "config/production.yaml",
      db_password: "hunter2",
      aws: { key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1" },
      endpoint: "https://deploy:s3cret@ci.internal.example/hook",
      headers: { Authorization: "Bearer abc.def.ghi" },
    };
    const { approval } = await svc.create({
      tenant: FIXTURE_TENANT,
      subject: "knowledge_update",
      requestedBy: "agent-7",
      tool: "apply",
      args: context,
      context,
      summary: "apply config with password hunter2",
      reason: "rotate: mysql --password=Tr0ub4dor",
      approverGroup: "secops",
      requiredApprovals: 1,
    });
    expect(approval.args_digest).toBe(digest(context));
    expect(leaks(approval)).toEqual([]);
    expect(approval.context).toMatchObject({
      file: "config/production.yaml",
      db_password: { redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) },
      aws: { key_id: expect.stringMatching(/^\[redacted:aws_access_key_id:[0-9a-f]{12}\]$/), region: "eu-west-1" },
      endpoint: expect.stringMatching(/^https:\/\/deploy:\[redacted:url_password:[0-9a-f]{12}\]@ci\.internal\.example\/hook$/),
      headers: { Authorization: { redacted: true } },
    });
    expect(approval.args).toEqual(approval.context);
    expect(approval.summary).toMatch(/^apply config with password \[redacted:secret:[0-9a-f]{12}\]$/);
    expect(approval.reason).toMatch(/^rotate: mysql --password=\[redacted:key_value:[0-9a-f]{12}\]$/);

    // What the database holds is the redacted copy: nothing to leak through any other reader.
    const rows = await db.sql.query(`SELECT args::text, context::text, summary, reason FROM approvals WHERE id = $1`, [approval.id]);
    expect(rows).toHaveLength(1);
    expect(leaks(rows)).toEqual([]);
    expect(leaks(await svc.get(approval.id, FIXTURE_TENANT, "victor"))).toEqual([]);
    expect(leaks((await svc.list({ tenant: FIXTURE_TENANT, status: "all", limit: 50 }, "victor")).approvals)).toEqual([]);

    // A vote comment is free text too.
    await svc.decide({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice", decision: "approved", comment: "ok, the key AKIAIOSFODNN7EXAMPLE is read-only", via: "inbox", requireSignature: false });
    const decided = await svc.get(approval.id, FIXTURE_TENANT);
    expect(decided.votes[0].comment).toMatch(/^ok, the key \[redacted:aws_access_key_id:[0-9a-f]{12}\] is read-only$/);

    // Slack messages are built from the same redacted view.
    await svc.flush();
    expect(notified.length).toBeGreaterThan(0);
    for (const v of notified) expect(leaks(approvalMessage(v, "https://canopy.example"))).toEqual([]);
  });

  test("an approval a policy rule asked for unlocks the call with the real arguments, not with what is shown", async () => {
    const RULE_HASH = "c".repeat(64);
    const args = { path: "/srv/app.env", content: "DB_PASSWORD=hunter2", headers: { Authorization: "Bearer abc.def.ghi" } };
    const { approval } = await svc.create({
      tenant: FIXTURE_TENANT,
      subject: "agent-42",
      tool: "fs.write",
      args,
      ruleHash: RULE_HASH,
      quorumSource: "rule",
      approverGroup: "secops",
      requiredApprovals: 1,
    });
    expect(leaks(approval)).toEqual([]);
    expect(approval.args_digest).toBe(digest(args));
    await svc.decide({ id: approval.id, tenant: FIXTURE_TENANT, approver: "alice", decision: "approved", via: "inbox", requireSignature: false });
    const call = { id: approval.id, tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", gate: { ruleHash: RULE_HASH, requiredApprovals: 1, approverGroup: "secops" } };
    // Replaying what approvers saw is a different call.
    expect(await svc.consume({ ...call, argsDigest: digest(approval.args) })).toMatchObject({ ok: false, code: "binding_mismatch" });
    expect(await svc.consume({ ...call, argsDigest: digest(args) })).toMatchObject({ ok: true });
  });

  test("equal secrets share a marker within a tenant and differ across tenants", async () => {
    const make = async (tenant: string) =>
      (await svc.create({ tenant, subject: "agent-1", tool: "deploy", args: { url: "https://bob:s3cret@h.example/" }, context: { pwd: "hunter2" } })).approval;
    const a1 = await make(FIXTURE_TENANT);
    const a2 = await make(FIXTURE_TENANT);
    const b1 = await make("other-tenant");
    const marker = (a: ApprovalView) => String((a.args as { url: string }).url).match(/\[redacted:url_password:([0-9a-f]{12})\]/)![1];
    const hmac = (a: ApprovalView) => (a.context as { pwd: { hmac: string } }).pwd.hmac;
    expect(marker(a1)).toBe(marker(a2));
    expect(hmac(a1)).toBe(hmac(a2));
    expect(marker(a1)).not.toBe(marker(b1));
    expect(hmac(a1)).not.toBe(hmac(b1));
  });
});
