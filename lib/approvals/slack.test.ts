import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findApproval } from "@/lib/db/approvals";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { findMemberBySlackId, upsertUserMembership } from "@/lib/db/users";
import { AppError } from "@/lib/errors";
import { memoryKv } from "@/lib/redis";
import { type ApprovalService, createApprovalService } from "./service";
import { approvalMessage, handleSlackInteraction, parseChannelMap, signSlackRequest, slackNotifier, verifySlackSignature } from "./slack";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "./testing";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW = 1_790_000_000;

describe("Slack signature verification matrix", () => {
  const body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
  const good = signSlackRequest(SIGNING, NOW, body);
  const check = (over: { ts?: string | null; sig?: string | null; body?: string; now?: number; secret?: string }) =>
    verifySlackSignature({
      signingSecret: over.secret ?? SIGNING,
      timestamp: over.ts === undefined ? good["x-slack-request-timestamp"] : over.ts,
      signature: over.sig === undefined ? good["x-slack-signature"] : over.sig,
      rawBody: over.body ?? body,
      nowSeconds: over.now ?? NOW,
    });

  test.each([
    ["valid", {}, { ok: true }],
    ["valid at +300 s", { now: NOW + 300 }, { ok: true }],
    ["valid at -300 s (clock behind)", { now: NOW - 300 }, { ok: true }],
    ["timestamp 301 s old", { now: NOW + 301 }, { ok: false, reason: "stale_timestamp" }],
    ["timestamp 301 s in the future", { now: NOW - 301 }, { ok: false, reason: "stale_timestamp" }],
    ["body changed", { body: `${body}x` }, { ok: false, reason: "bad_signature" }],
    ["wrong version", { sig: good["x-slack-signature"].replace(/^v0=/, "v1=") }, { ok: false, reason: "bad_version" }],
    ["missing signature header", { sig: null }, { ok: false, reason: "missing_headers" }],
    ["missing timestamp header", { ts: null }, { ok: false, reason: "missing_headers" }],
    ["non-numeric timestamp", { ts: "12ab" }, { ok: false, reason: "bad_timestamp" }],
    ["bad signature", { sig: `v0=${"0".repeat(64)}` }, { ok: false, reason: "bad_signature" }],
    ["truncated signature", { sig: good["x-slack-signature"].slice(0, 20) }, { ok: false, reason: "bad_signature" }],
    ["other signing secret", { secret: "another-secret" }, { ok: false, reason: "bad_signature" }],
    ["timestamp swapped (signature over another ts)", { ts: String(NOW + 1) }, { ok: false, reason: "bad_signature" }],
  ] as const)("%s", (_name, over, expected) => {
    expect(check(over)).toEqual(expected);
  });

  test("no signing secret configured refuses everything", () => {
    expect(check({ secret: "" })).toEqual({ ok: false, reason: "not_configured" });
  });
});

// ------------------------------------------------------------------------------------------------

interface Recorded {
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

/** A local fake of Slack's Web API and an incoming webhook. */
async function fakeSlack() {
  const calls: Recorded[] = [];
  let ts = 1000;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = JSON.parse(raw || "{}") as Record<string, unknown>;
      calls.push({ path: req.url ?? "", auth: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/chat.postMessage") res.end(JSON.stringify({ ok: true, channel: body.channel, ts: `${++ts}.000100` }));
      else if (req.url === "/api/chat.update") res.end(JSON.stringify({ ok: true, channel: body.channel, ts: body.ts }));
      else if (req.url === "/hook") res.end("ok");
      else res.end(JSON.stringify({ ok: false, error: "unknown_method" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("Slack notifications and interactivity (fake Slack API)", () => {
  let db: TestDb;
  let slack: Awaited<ReturnType<typeof fakeSlack>>;
  let svc: ApprovalService;
  const clock = Date.now();

  beforeAll(async () => {
    db = await createTestDb();
    await seedApprovalFixtures(db.prisma);
    slack = await fakeSlack();
    svc = createApprovalService({
      prisma: db.prisma,
      kv: memoryKv(),
      hmacSecret: FIXTURE_SECRET,
      namespace: uniqueNamespace(),
      now: () => clock,
      log: { warn() {}, error() {} },
      notifier: slackNotifier({
        botToken: "xoxb-test",
        apiBaseUrl: `${slack.base}/api`,
        defaultChannel: "C-DEFAULT",
        channels: parseChannelMap("secops=C-SECOPS, finance=C-FIN"),
        consoleUrl: "http://console.test",
      }),
    });
  });
  afterAll(async () => {
    await svc?.close();
    await slack?.close();
    await db?.drop();
  });

  const deps = (nowSeconds = Math.floor(clock / 1000)) => ({
    signingSecret: SIGNING,
    nowSeconds,
    approvalTenant: async (id: string) => (await findApproval(db.prisma, id))?.tenantId ?? null,
    findMemberBySlackId: async (tenant: string, slackUserId: string) => {
      const m = await findMemberBySlackId(db.prisma, tenant, slackUserId);
      return m ? { userId: m.userId, slackTeamId: m.slackTeamId, disabled: m.user.disabled } : null;
    },
    decide: (d: { id: string; tenant: string; approver: string; decision: "approved" | "rejected" }) => svc.decide({ ...d, via: "slack" as const, requireSignature: false }),
  });

  function click(slackUser: string, action: "approve" | "deny", approvalId: string, at = Math.floor(clock / 1000), team = "T0TEST001") {
    const payload = { type: "block_actions", user: { id: slackUser, team_id: team }, team: { id: team }, actions: [{ action_id: action, value: approvalId }], response_url: "https://hooks.slack.com/actions/x" };
    const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return { rawBody, headers: new Headers({ "content-type": "application/x-www-form-urlencoded", ...signSlackRequest(SIGNING, at, rawBody) }) };
  }

  async function create(required = 2, group: string | null = "secops") {
    const { approval } = await svc.create({
      tenant: FIXTURE_TENANT, subject: "agent-42", tool: "fs.write", args: { path: "/etc/hosts", content: "<b>x</b> & y", password: "hunter2" },
      summary: "Write to /etc/hosts by agent-42", rule: "FS-write outside jail requires dual approval", reason: "Write outside jail requires two approvers",
      approverGroup: group, requiredApprovals: required,
    });
    await svc.flush();
    return approval;
  }

  test("a new approval posts Block Kit to the group's channel with approve/deny buttons carrying the id", async () => {
    const a = await create();
    const post = slack.calls.find((c) => c.path === "/api/chat.postMessage" && JSON.stringify(c.body).includes(a.id))!;
    expect(post.auth).toBe("Bearer xoxb-test");
    expect(post.body.channel).toBe("C-SECOPS");
    const text = JSON.stringify(post.body.blocks);
    expect(text).toContain("Write to /etc/hosts by agent-42");
    expect(text).toContain("FS-write outside jail requires dual approval");
    expect(text).toContain("0 of 2 approvals");
    expect(text).toContain("&lt;b&gt;x&lt;/b&gt; &amp; y"); // escaped for mrkdwn
    expect(text).not.toContain("hunter2"); // redacted
    const actions = (post.body.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[]).find((b) => b.type === "actions")!;
    expect(actions.elements!.filter((e) => e.value === a.id).map((e) => e.action_id)).toEqual(["approve", "deny"]);
    const row = await findApproval(db.prisma, a.id);
    expect(row?.slackChannel).toBe("C-SECOPS");
    expect(row?.slackTs).toMatch(/^\d+\.000100$/);
  });

  test("two different Slack users approve a 2-of-N; the message is updated; a replay after resolution changes nothing", async () => {
    const a = await create();
    const first = click("UALICE01", "approve", a.id);
    expect(await handleSlackInteraction(first.rawBody, first.headers, deps())).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("1 of 2") });
    // The same user clicking again does not count twice.
    const again = click("UALICE01", "approve", a.id);
    expect(await handleSlackInteraction(again.rawBody, again.headers, deps())).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/not counted.*already voted/) });
    const second = click("UBOB0001", "approve", a.id);
    expect(await handleSlackInteraction(second.rawBody, second.headers, deps())).toMatchObject({ text: expect.stringContaining("now approved") });
    await svc.flush();
    const updates = slack.calls.filter((c) => c.path === "/api/chat.update" && c.body.channel === "C-SECOPS" && JSON.stringify(c.body).includes(a.id));
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const last = JSON.stringify(updates.at(-1)!.body.blocks);
    expect(last).toContain("*Approved*");
    expect(last).not.toContain('"action_id":"approve"');
    // Replaying bob's exact signed request (still within 300 s) after resolution: refused, nothing changes.
    const replay = await handleSlackInteraction(second.rawBody, second.headers, deps());
    expect(replay).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("not counted") });
    const view = await svc.get(a.id, FIXTURE_TENANT);
    expect(view).toMatchObject({ status: "approved", approvals: 2 });
    expect(view.votes.map((v) => [v.approver, v.via]).sort()).toEqual([["alice", "slack"], ["bob", "slack"]]);
  });

  test("one Slack deny rejects immediately", async () => {
    const a = await create();
    const c = click("UCAROL01", "deny", a.id);
    expect(await handleSlackInteraction(c.rawBody, c.headers, deps())).toMatchObject({ text: expect.stringContaining("now rejected") });
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("rejected");
  });

  test("unlinked and unauthorized Slack users get an ephemeral explanation and nothing changes", async () => {
    const a = await create();
    for (const [user, why] of [
      ["UNOBODY1", /not linked/],
      ["UVICTOR1", /approver role/], // linked, member, not an approver
      ["UERIN001", /approver group secops/], // approver in another group
    ] as const) {
      const c = click(user, "approve", a.id);
      expect(await handleSlackInteraction(c.rawBody, c.headers, deps())).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(why) });
    }
    const missing = click("UALICE01", "approve", "appr_nope");
    expect(await handleSlackInteraction(missing.rawBody, missing.headers, deps())).toMatchObject({ text: expect.stringContaining("not found") });
    expect(await svc.get(a.id, FIXTURE_TENANT)).toMatchObject({ status: "pending", approvals: 0, votes: [] });
  });

  test("a Slack link counts only in its own tenant: another tenant's admin cannot relink this tenant's approvers", async () => {
    // Tenant other-tenant links the Slack ids of demo-tenant's approvers to its own members.
    await upsertUserMembership(db.prisma, { tenantId: "other-tenant", userId: "mallory", roles: ["approver"], groups: ["secops"], slackUserId: "UMALLORY1" });
    await upsertUserMembership(db.prisma, { tenantId: "other-tenant", userId: "alice", roles: ["approver"], groups: ["secops"], slackUserId: "UMALLORY2" });
    const a = await create(2);
    // Mallory's Slack user is linked in other-tenant only: her clicks on demo-tenant's approval do not count.
    const c1 = click("UMALLORY1", "approve", a.id);
    expect(await handleSlackInteraction(c1.rawBody, c1.headers, deps())).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("not linked to a member of the tenant this approval belongs to") });
    // other-tenant linking its own membership of alice to another Slack id does not make it alice in demo-tenant.
    const c2 = click("UMALLORY2", "approve", a.id);
    expect(await handleSlackInteraction(c2.rawBody, c2.headers, deps())).toMatchObject({ text: expect.stringContaining("not linked") });
    // alice's demo-tenant link is untouched and still works.
    const c3 = click("UALICE01", "approve", a.id);
    expect(await handleSlackInteraction(c3.rawBody, c3.headers, deps())).toMatchObject({ text: expect.stringContaining("1 of 2") });
    expect(await svc.get(a.id, FIXTURE_TENANT)).toMatchObject({ status: "pending", approvals: 1 });
  });

  test("a link that names a Slack workspace counts only for clicks from that workspace", async () => {
    await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "carol", roles: ["approver"], groups: ["secops"], slackUserId: "UCAROL01", slackTeamId: "T0CORP001" });
    const a = await create(1);
    const foreign = click("UCAROL01", "approve", a.id, Math.floor(clock / 1000), "T0EVIL001");
    expect(await handleSlackInteraction(foreign.rawBody, foreign.headers, deps())).toMatchObject({ text: expect.stringContaining("not linked") });
    const own = click("UCAROL01", "approve", a.id, Math.floor(clock / 1000), "T0CORP001");
    expect(await handleSlackInteraction(own.rawBody, own.headers, deps())).toMatchObject({ text: expect.stringContaining("now approved") });
    await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "carol", roles: ["approver"], groups: ["secops"], slackUserId: "UCAROL01", slackTeamId: null });
  });

  test("bad signatures are refused before the payload is read, and change nothing", async () => {
    const a = await create(1);
    const c = click("UALICE01", "approve", a.id);
    const tampered = c.rawBody.replace("approve", "deny");
    await expect(handleSlackInteraction(tampered, c.headers, deps())).rejects.toMatchObject({ status: 401, code: "invalid_slack_signature" });
    const stale = click("UALICE01", "approve", a.id, Math.floor(clock / 1000) - 301);
    await expect(handleSlackInteraction(stale.rawBody, stale.headers, deps())).rejects.toBeInstanceOf(AppError);
    const noHeaders = new Headers({ "content-type": "application/x-www-form-urlencoded" });
    await expect(handleSlackInteraction(c.rawBody, noHeaders, deps())).rejects.toMatchObject({ status: 401 });
    await expect(handleSlackInteraction("not a form at all", c.headers, deps())).rejects.toMatchObject({ status: 401 });
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("pending");
  });

  test("other interaction types and the 'open' link button are acknowledged and ignored", async () => {
    const a = await create(1);
    const c = click("UALICE01", "approve", a.id);
    const open = c.rawBody.replace(encodeURIComponent('"approve"'), encodeURIComponent('"open"'));
    expect(await handleSlackInteraction(open, new Headers(signSlackRequest(SIGNING, Math.floor(clock / 1000), open)), deps())).toEqual({});
    expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("pending");
  });

  test("webhook mode posts the message to the incoming webhook", async () => {
    const notifier = slackNotifier({ webhookUrl: `${slack.base}/hook`, apiBaseUrl: `${slack.base}/api`, channels: {} });
    const a = await create(1);
    expect(await notifier.created(a)).toBeNull();
    const hook = slack.calls.filter((c) => c.path === "/hook").at(-1)!;
    expect(hook.auth).toBeUndefined();
    expect(JSON.stringify(hook.body)).toContain(a.id);
  });

  test("message text covers progress, votes and the final state", () => {
    const base = {
      id: "appr_1", tenant: "t", subject: "agent-42", requested_by: "admin", tool: "fs.write", args: {}, args_digest: "d", summary: null, reason: null, rule: null, rule_hash: null, quorum_source: "requester" as const,
      approver_group: null, required_approvals: 2, approvals: 1, remaining_approvals: 1, policy_version: null, status: "pending" as const, trace_id: null, context: null,
      created_at: "2026-01-01T00:00:00.000Z", requested_at: "2026-01-01T00:00:00.000Z", expires_at: "2026-01-01T01:00:00Z", resolved_at: null, executed_at: null,
      votes: [{ approver: "alice", decision: "approved" as const, comment: "fine", via: "slack", created_at: "2026-01-01T00:01:00.000Z" }], agent: "agent-42", action: "fs.write",
    };
    const m = JSON.stringify(approvalMessage(base));
    expect(m).toContain("1 of 2 approvals");
    expect(m).toContain("filed by admin");
    expect(m).toContain("alice approved");
    expect(JSON.stringify(approvalMessage({ ...base, status: "expired" }))).toContain("*Expired*");
  });
});
