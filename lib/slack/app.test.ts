import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApprovalService, createApprovalService, signSlackRequest } from "@/lib/approvals";
import { FIXTURE_SECRET, FIXTURE_TENANT, seedApprovalFixtures, uniqueNamespace } from "@/lib/approvals/testing";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertUserMembership } from "@/lib/db/users";
import { createLogger } from "@/lib/log";
import { memoryKv } from "@/lib/redis";
import { createSlackApp, type SlackApp } from "./app";
import { slackNotifier } from "./notifier";
import { type RecordedSlackCall, signedSlackRequest, startFakeSlack } from "./testing";
import { createSlackWebClient } from "./web-client";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const URL_ = "http://canopy.test/api/approvals/slack/callback";
const TEAM = "T0TEST001";

describe("the Slack app on Bolt, driven by signed requests against a fake Web API", () => {
  let db: TestDb;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let svc: ApprovalService;
  let app: SlackApp;
  let webhookApp: SlackApp;
  const fetched: string[] = [];
  let nowMs = Date.parse("2026-11-30T12:00:00Z");
  const nowS = () => Math.floor(nowMs / 1000);

  beforeAll(async () => {
    db = await createTestDb();
    await seedApprovalFixtures(db.prisma);
    slack = await startFakeSlack();
    const web = createSlackWebClient({ botToken: "xoxb-test", apiBaseUrl: slack.apiBaseUrl });
    const log = createLogger("silent");
    svc = createApprovalService({
      prisma: db.prisma,
      kv: memoryKv(),
      hmacSecret: FIXTURE_SECRET,
      namespace: uniqueNamespace(),
      now: () => nowMs,
      log: { warn() {}, error() {} },
      notifier: slackNotifier({ web, defaultChannel: "C-DEFAULT", channels: { secops: "C-SECOPS" }, consoleUrl: "http://console.test" }),
    });
    const common = { signingSecret: SIGNING, approvals: svc, prisma: db.prisma, apiBaseUrl: slack.apiBaseUrl, consoleUrl: "http://console.test", nowSeconds: nowS, log };
    app = createSlackApp({ ...common, kv: memoryKv(), web });
    webhookApp = createSlackApp({ ...common, kv: memoryKv(), web: null, fetch: (url, init) => (fetched.push(String(url)), fetch(url, init)) });
  });
  afterAll(async () => {
    await app?.close();
    await webhookApp?.close();
    await svc?.close();
    await slack?.close();
    await db?.drop();
  });

  let clickSeq = 0;
  /** A button click as Slack posts it: from a channel message (or the Home tab), signed at `at`. */
  function click(user: string, action: "approve" | "deny", approvalId: string, where: { channel?: string; ts?: string; home?: boolean; responseUrl?: string; team?: string } = {}) {
    const team = where.team ?? TEAM;
    return {
      type: "block_actions",
      user: { id: user, team_id: team },
      team: { id: team },
      api_app_id: "A0TEST",
      token: "legacy",
      trigger_id: `trigger-${++clickSeq}`,
      container: where.home ? { type: "view", view_id: "VHOME" } : { type: "message", channel_id: where.channel ?? "C-SECOPS", message_ts: where.ts ?? "1.0" },
      ...(where.home ? { view: { type: "home", id: "VHOME" } } : { channel: { id: where.channel ?? "C-SECOPS", name: "secops" }, message: { ts: where.ts ?? "1.0" } }),
      ...(where.responseUrl ? { response_url: where.responseUrl } : {}),
      actions: [{ type: "button", action_id: action, block_id: `approval:${approvalId}`, value: approvalId, action_ts: `${clickSeq}` }],
    };
  }
  const send = (target: SlackApp, payload: unknown, at = nowS()) => target.handle(signedSlackRequest(URL_, SIGNING, at, { payload }));
  const status = async (p: Promise<unknown>) => p.then(() => 200, (e: { status?: number }) => e.status ?? 500);

  async function create(required: number, opts: { subject?: string; group?: string | null; tenant?: string } = {}) {
    const { approval } = await svc.create({
      tenant: opts.tenant ?? FIXTURE_TENANT, subject: opts.subject ?? "agent-42", tool: "fs.write", args: { path: "/etc/hosts" },
      summary: "Write to /etc/hosts", rule: "writes need approvers", reason: "outside the jail",
      approverGroup: opts.group === undefined ? "secops" : opts.group, requiredApprovals: required,
    });
    await svc.flush();
    return approval;
  }
  const about = (id: string) => (c: RecordedSlackCall) => JSON.stringify(c.body).includes(id);
  async function settle() {
    await app.flush();
    await webhookApp.flush();
    await svc.flush();
  }

  test("a 2-of-3 approval: one message, updated in place after the Slack vote and after the inbox vote, ending in its final state", async () => {
    const a = await create(2);
    // (Linked approvers also get their personal codes by direct message.)
    const posts = slack.callsOf("chat.postMessage").filter(about(a.id)).filter((c) => c.body.channel === "C-SECOPS");
    expect(posts).toHaveLength(1);
    expect(posts[0].auth).toBe("Bearer xoxb-test");
    expect(posts[0].body.channel).toBe("C-SECOPS");
    const ts = String((await db.prisma.approval.findUniqueOrThrow({ where: { id: a.id } })).slackTs);
    expect(ts).toMatch(/^\d+\.000100$/);

    const answer = await send(app, click("UALICE01", "approve", a.id, { ts }));
    expect(answer).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("1 of 2") });
    await settle();
    // The vote from the browser inbox updates the same message.
    await svc.decide({ id: a.id, tenant: FIXTURE_TENANT, approver: "bob", decision: "approved", via: "inbox", requireSignature: false });
    await settle();

    const updates = slack.callsOf("chat.update").filter(about(a.id));
    expect(updates.map((u) => [u.body.channel, u.body.ts])).toEqual([["C-SECOPS", ts], ["C-SECOPS", ts]]);
    const [first, last] = updates.map((u) => JSON.stringify(u.body.blocks));
    expect(first).toContain("1 of 2 approvals");
    expect(first).toContain("alice approved");
    expect(first).toContain('"action_id":"approve"');
    expect(last).toContain("2 of 2 approvals");
    expect(last).toMatch(/alice approved.*bob approved/);
    expect(last).toContain("*Approved*");
    expect(last).not.toContain('"action_id":"approve"');
    expect(slack.callsOf("chat.postMessage").filter(about(a.id)).filter((c) => c.body.channel === "C-SECOPS")).toHaveLength(1);
    // The clicker was told in the channel, ephemerally.
    expect(slack.callsOf("chat.postEphemeral").filter(about(a.id)).at(-1)?.body).toMatchObject({ channel: "C-SECOPS", user: "UALICE01", text: expect.stringContaining("1 of 2") });

    // A third approver's click after the decision: refused, ephemerally; the message is not touched again.
    expect(await send(app, click("UCAROL01", "approve", a.id, { ts }))).toMatchObject({ text: expect.stringMatching(/not counted.*approved/) });
    await settle();
    expect(slack.callsOf("chat.update").filter(about(a.id))).toHaveLength(2);
    expect(slack.callsOf("chat.postEphemeral").at(-1)?.body).toMatchObject({ user: "UCAROL01", text: expect.stringContaining("not counted") });
  });

  test("one Slack deny rejects at once, and the message says so", async () => {
    const a = await create(2);
    expect(await send(app, click("UBOB0001", "deny", a.id))).toMatchObject({ text: expect.stringContaining("now rejected") });
    await settle();
    expect(JSON.stringify(slack.callsOf("chat.update").filter(about(a.id)).at(-1)?.body.blocks)).toContain("*Rejected*");
  });

  describe("refusals are answered ephemerally, naming the reason, and change nothing", () => {
    test.each([
      ["not linked to any member", "UNOBODY1", {}, /not linked to a member of the tenant/],
      ["linked, but not an approver", "UVICTOR1", {}, /approver role/],
      ["an approver of another group", "UERIN001", {}, /approver group secops/],
      ["the requester approving their own call", "UALICE01", { subject: "alice" }, /own|self/i],
      ["linked in another tenant only (wrong tenant)", "UMALLORY1", {}, /not linked to a member of the tenant/],
      ["a click from another workspace than the link names", "UCAROL02", {}, /not linked/],
    ] as const)("%s", async (_label, user, opts, reason) => {
      await upsertUserMembership(db.prisma, { tenantId: "other-tenant", userId: "mallory", roles: ["approver"], groups: ["secops"], slackUserId: "UMALLORY1" });
      await upsertUserMembership(db.prisma, { tenantId: FIXTURE_TENANT, userId: "carol2", roles: ["approver"], groups: ["secops"], slackUserId: "UCAROL02", slackTeamId: "T0CORP001" });
      const a = await create(1, opts);
      const answer = await send(app, click(user, "approve", a.id));
      expect(answer).toMatchObject({ response_type: "ephemeral", replace_original: false, text: expect.stringMatching(reason) });
      await settle();
      expect(slack.callsOf("chat.postEphemeral").at(-1)?.body).toMatchObject({ channel: "C-SECOPS", user, text: expect.stringMatching(reason) });
      expect(await svc.get(a.id, FIXTURE_TENANT)).toMatchObject({ status: "pending", votes: [] });
      expect(slack.callsOf("chat.update").filter(about(a.id))).toHaveLength(0);
    });

    test("an expired approval", async () => {
      const a = await create(1);
      nowMs += 3601_000;
      try {
        expect(await send(app, click("UALICE01", "approve", a.id))).toMatchObject({ text: expect.stringMatching(/not counted.*expired/) });
      } finally {
        nowMs -= 3601_000;
      }
    });

    test("an unknown approval", async () => {
      expect(await send(app, click("UALICE01", "approve", "appr_doesnotexist"))).toMatchObject({ text: expect.stringContaining("was not found") });
    });
  });

  describe("signature checks, before Bolt sees anything", () => {
    test.each([
      ["valid", 0, null, 200],
      ["300 s old", -300, null, 200],
      ["300 s ahead", 300, null, 200],
      ["301 s old", -301, null, 401],
      ["301 s in the future", 301, null, 401],
      ["wrong secret", 0, "another-secret", 401],
    ] as const)("%s", async (_label, skew, secret, expected) => {
      const a = await create(1);
      const body = `payload=${encodeURIComponent(JSON.stringify(click("UALICE01", "approve", a.id)))}`;
      const req = new Request(URL_, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", ...signSlackRequest(secret ?? SIGNING, nowS() + skew, body) } });
      expect(await status(app.handle(req))).toBe(expected);
      expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe(expected === 200 ? "approved" : "pending");
    });

    test("a tampered body (deny turned into approve) is refused", async () => {
      const a = await create(1);
      const body = `payload=${encodeURIComponent(JSON.stringify(click("UALICE01", "deny", a.id)))}`;
      const headers = { "content-type": "application/x-www-form-urlencoded", ...signSlackRequest(SIGNING, nowS(), body) };
      const tampered = body.replace(encodeURIComponent('"deny"'), encodeURIComponent('"approve"'));
      await expect(app.handle(new Request(URL_, { method: "POST", body: tampered, headers }))).rejects.toMatchObject({ status: 401, code: "invalid_slack_signature", message: expect.stringContaining("bad_signature") });
      expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("pending");
    });

    test("a replayed request (the same signed bytes) is accepted once", async () => {
      const a = await create(2);
      const body = `payload=${encodeURIComponent(JSON.stringify(click("UALICE01", "approve", a.id)))}`;
      const headers = { "content-type": "application/x-www-form-urlencoded", ...signSlackRequest(SIGNING, nowS(), body) };
      expect(await app.handle(new Request(URL_, { method: "POST", body, headers }))).toMatchObject({ text: expect.stringContaining("1 of 2") });
      await expect(app.handle(new Request(URL_, { method: "POST", body, headers }))).rejects.toMatchObject({ status: 401, message: expect.stringContaining("replayed") });
      expect(await svc.get(a.id, FIXTURE_TENANT)).toMatchObject({ approvals: 1 });
    });
  });

  describe("Events API and the App Home", () => {
    const EVENTS = "http://canopy.test/api/approvals/slack/events";
    const homeOpened = (user: string, team = TEAM) => ({ type: "event_callback", team_id: team, api_app_id: "A0TEST", event_id: `Ev${++clickSeq}`, event: { type: "app_home_opened", user, channel: "D0HOME", tab: "home", event_ts: `${clickSeq}.1` } });

    test("the URL verification challenge is answered when signed, refused when not", async () => {
      const ok = await app.handle(signedSlackRequest(EVENTS, SIGNING, nowS(), { type: "url_verification", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", token: "x" }));
      expect(ok).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
      const unsigned = new Request(EVENTS, { method: "POST", body: JSON.stringify({ type: "url_verification", challenge: "c" }), headers: { "content-type": "application/json" } });
      await expect(app.handle(unsigned)).rejects.toMatchObject({ status: 401 });
    });

    test("app_home_opened publishes the user's own pending approvals, only of the tenants that user is linked in, with buttons", async () => {
      await upsertUserMembership(db.prisma, { tenantId: "other-tenant", userId: "mallory", roles: ["approver"], groups: ["secops"], slackUserId: "UMALLORY1" });
      const mine = await create(1);
      const ownRequest = await create(1, { subject: "alice" });
      const finance = await create(1, { group: "finance" });
      const foreign = await create(1, { tenant: "other-tenant" });
      await app.handle(signedSlackRequest(EVENTS, SIGNING, nowS(), homeOpened("UALICE01")));
      await settle();
      const published = slack.callsOf("views.publish").filter((c) => c.body.user_id === "UALICE01").at(-1)!;
      expect(published.auth).toBe("Bearer xoxb-test");
      const view = JSON.stringify(published.body.view);
      expect(view).toContain(mine.id);
      expect(view).toContain('"action_id":"approve"');
      for (const hidden of [ownRequest.id, finance.id, foreign.id]) expect(view).not.toContain(hidden);
      expect(view).not.toContain("other-tenant");

      // Mallory (linked in other-tenant only) sees other-tenant's approval and nothing of demo-tenant's.
      await app.handle(signedSlackRequest(EVENTS, SIGNING, nowS(), homeOpened("UMALLORY1")));
      await settle();
      const hers = JSON.stringify(slack.callsOf("views.publish").filter((c) => c.body.user_id === "UMALLORY1").at(-1)!.body.view);
      expect(hers).toContain(foreign.id);
      expect(hers).not.toContain(mine.id);
    });

    test("a vote from the Home tab is counted, and the Home tab is republished with the outcome", async () => {
      const a = await create(1);
      await send(app, click("UBOB0001", "approve", a.id, { home: true }));
      await settle();
      const view = JSON.stringify(slack.callsOf("views.publish").filter((c) => c.body.user_id === "UBOB0001").at(-1)!.body.view);
      expect(view).toContain(`You approved ${a.id} as bob`);
      expect(view).not.toContain(`"value":"${a.id}"`);
      expect((await svc.get(a.id, FIXTURE_TENANT)).status).toBe("approved");
    });
  });

  describe("webhook-only mode (no bot token)", () => {
    test("the approval goes to the incoming webhook; a click is answered and the message replaced through response_url", async () => {
      const notifier = slackNotifier({ webhookUrl: `${slack.base}/hook`, channels: {} });
      const a = await create(2);
      expect(await notifier.created(a)).toBeNull();
      expect(slack.callsOf("webhook").filter(about(a.id))).toHaveLength(1);

      const responseUrl = `${slack.base}/response/T0TEST001/1/abc`;
      expect(await send(webhookApp, click("UALICE01", "approve", a.id, { responseUrl }))).toMatchObject({ text: expect.stringContaining("1 of 2") });
      await settle();
      const responses = slack.callsOf("response_url").filter(about(a.id));
      expect(responses.map((r) => [r.body.response_type ?? null, r.body.replace_original])).toEqual([["ephemeral", false], [null, true]]);
      expect(JSON.stringify(responses[1].body.blocks)).toContain("1 of 2 approvals");
    });

    test("a response_url outside Slack's hooks (and the configured API) is never called", async () => {
      const a = await create(2);
      fetched.length = 0;
      await send(webhookApp, click("UALICE01", "approve", a.id, { responseUrl: "http://169.254.169.254/latest/meta-data" }));
      await settle();
      expect(fetched).toEqual([]);
      expect((await svc.get(a.id, FIXTURE_TENANT)).approvals).toBe(1);
    });
  });
});
