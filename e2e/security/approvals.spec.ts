import { expect, test, type APIRequestContext } from "@playwright/test";
import {
  bearer,
  expectEnvelope,
  getApproval,
  mcpCall,
  newTenant,
  pinPolicy,
  PROBE_POLICY,
  probeCalls,
  putMember,
  signedVote,
  slackClick,
  token,
  verdictOf,
} from "./kit";

/**
 * Issue 9, items 1, 2 and 13: dual control holds whatever endpoint created an approval and
 * whoever controls another tenant; refusals answer with their own status and code.
 */

const WRITE = { path: "/probe/out.txt", content: "payload" };

async function writes(request: APIRequestContext) {
  return (await probeCalls(request)).by_tool.write ?? 0;
}

/** A tenant pinned to PROBE_POLICY (probe.write needs 2 of secops) with secops approvers sec1, sec2 and a helper outside secops. */
async function gatedTenant(request: APIRequestContext) {
  const t = await newTenant(request, "dual");
  await pinPolicy(request, t, PROBE_POLICY);
  for (const [user, groups] of [["sec1", ["secops"]], ["sec2", ["secops"]], ["helper", ["helpers"]]] as const) {
    expect((await putMember(request, t, user, { roles: ["approver"], groups })).status()).toBe(200);
  }
  return { tenant: t, agent: token(t, "agent-x", "agent") };
}

test.describe("dual control cannot be bypassed (item 1)", () => {
  test("an agent's own seed 003 request gets the rule's quorum and group, not the ones it asked for", async ({ request }) => {
    const { tenant, agent } = await gatedTenant(request);
    const before = await writes(request);
    const filed = await request.post("/api/v1/approvals", {
      headers: bearer(agent),
      data: { agent: "agent-x", action: "probe.write", context: WRITE, required_approvals: 1, approver_group: "helpers", reason: "please" },
    });
    expect(filed.status(), await filed.text()).toBe(201);
    const a = await filed.json();
    expect(a).toMatchObject({ quorum_source: "rule", required_approvals: 2, approver_group: "secops", requested_by: "agent-x" });

    // A vote from the group the agent picked does not count at all.
    await expectEnvelope(await signedVote(request, tenant, a.id, "helper"), 403, "not_eligible");
    expect((await signedVote(request, tenant, a.id, "sec1")).status()).toBe(200);
    const early = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: a.id });
    expect(verdictOf(early)?.decision).toBe("approval");
    expect(await writes(request)).toBe(before);

    // With the rule's quorum from the rule's group, the hand-filed approval unlocks the exact call once.
    expect((await signedVote(request, tenant, a.id, "sec2")).status()).toBe(200);
    const run = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: a.id });
    expect(verdictOf(run)?.decision).toBe("allow");
    expect(await writes(request)).toBe(before + 1);
    const replay = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: a.id });
    expect(verdictOf(replay)).toMatchObject({ decision: "deny" });
    expect(await writes(request)).toBe(before + 1);
  });

  test("seed 000's /approvals/create with required_approvals 1 is raised to the rule's 2 of secops", async ({ request }) => {
    const { tenant, agent } = await gatedTenant(request);
    const res = await request.post("/approvals/create", {
      headers: bearer(agent),
      data: { pending_id: `p-${tenant}`, tenant, subject: "agent-x", tool: "probe.write", required_approvals: 1, approver_group: "helpers", args: WRITE, summary: "mine" },
    });
    expect(res.status(), await res.text()).toBe(201);
    expect(await res.json()).toMatchObject({ quorum_source: "rule", required_approvals: 2, approver_group: "secops" });
  });

  test("an approval filed while no rule gated the call cannot unlock it once a rule does", async ({ request }) => {
    const tenant = await newTenant(request, "dual");
    await pinPolicy(request, tenant, `version: 1\nrules:\n  - { name: "anything goes", match: "probe.*", action: allow }\n`);
    await putMember(request, tenant, "helper", { roles: ["approver"], groups: ["helpers"] });
    const agent = token(tenant, "agent-x", "agent");
    const filed = await (
      await request.post("/api/v1/approvals", { headers: bearer(agent), data: { agent: "agent-x", action: "probe.write", context: WRITE, required_approvals: 1, approver_group: "helpers" } })
    ).json();
    expect(filed).toMatchObject({ quorum_source: "requester", required_approvals: 1, rule_hash: null });
    expect((await signedVote(request, tenant, filed.id, "helper")).status()).toBe(200);
    expect((await getApproval(request, tenant, filed.id)).status).toBe("approved");

    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = await writes(request);
    const retry = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: filed.id });
    expect(verdictOf(retry)).toMatchObject({ decision: "deny" });
    expect(JSON.stringify(verdictOf(retry))).toContain("approval_rule_mismatch");
    expect(await writes(request)).toBe(before);
    expect((await getApproval(request, tenant, filed.id)).status).toBe("approved");
  });

  test("an approval granted under a rule that has since changed (2 → 3 approvers) unlocks nothing", async ({ request }) => {
    const { tenant, agent } = await gatedTenant(request);
    const first = await mcpCall(request, agent, "probe.write", WRITE);
    const id = verdictOf(first)!.approval!.id;
    for (const v of ["sec1", "sec2"]) expect((await signedVote(request, tenant, id, v)).status()).toBe(200);
    await pinPolicy(request, tenant, PROBE_POLICY.replace("required_approvals: 2", "required_approvals: 3"));
    const before = await writes(request);
    const retry = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: id });
    expect(JSON.stringify(verdictOf(retry))).toContain("approval_rule_mismatch");
    expect(await writes(request)).toBe(before);
  });

  test("a vote by someone removed from the group since no longer counts", async ({ request }) => {
    const { tenant, agent } = await gatedTenant(request);
    const id = verdictOf(await mcpCall(request, agent, "probe.write", WRITE))!.approval!.id;
    for (const v of ["sec1", "sec2"]) expect((await signedVote(request, tenant, id, v)).status()).toBe(200);
    expect((await putMember(request, tenant, "sec2", { roles: ["approver"], groups: ["helpers"] })).status()).toBe(200);
    const before = await writes(request);
    const retry = await mcpCall(request, agent, "probe.write", WRITE, { approval_id: id });
    expect(verdictOf(retry)?.decision).toBe("deny");
    expect(JSON.stringify(verdictOf(retry))).toContain("approval_quorum_not_met");
    expect(await writes(request)).toBe(before);
  });

  test("whoever files a request on an agent's behalf cannot approve it", async ({ request }) => {
    const { tenant } = await gatedTenant(request);
    const sec1 = token(tenant, "sec1", ["approver", "agent"]);
    const res = await request.post("/approvals/create", { headers: bearer(sec1), data: { tenant, subject: "agent-x", tool: "probe.write", args: WRITE } });
    const a = await res.json();
    expect(a.requested_by).toBe("sec1");
    await expectEnvelope(await signedVote(request, tenant, a.id, "sec1"), 403, "self_approval");
  });
});

test.describe("one tenant's admin cannot take over another tenant's approvers (item 2)", () => {
  test("relinking Slack ids in tenant B changes nothing in A; B never sees A's identity data", async ({ request }) => {
    const a = await newTenant(request, "slk-a");
    const b = await newTenant(request, "slk-b");
    await pinPolicy(request, a, PROBE_POLICY);
    const suffix = a.slice(-4).toUpperCase();
    const [ua1, ua2, ub1, ub2] = ["A1", "A2", "B1", "B2"].map((x) => `U${x}${suffix}0`);
    for (const [user, slack] of [["a1", ua1], ["a2", ua2]]) {
      expect((await putMember(request, a, user, { roles: ["approver"], groups: ["secops"], slack_user_id: slack })).status()).toBe(200);
    }
    const agent = token(a, "agent-x", "agent");
    const id = verdictOf(await mcpCall(request, agent, "probe.write", WRITE))!.approval!.id;

    // B's admin adds A's approvers to B with B-controlled Slack ids.
    for (const [user, slack] of [["a1", ub1], ["a2", ub2]]) {
      const res = await putMember(request, b, user, { roles: ["approver"], groups: ["secops"], slack_user_id: slack });
      expect(res.status()).toBe(200);
      expect(await res.json()).not.toHaveProperty("email");
    }
    await expectEnvelope(await putMember(request, b, "a1", { roles: ["approver"], email: "attacker@evil.example" }), 403, "identity_readonly");
    await expectEnvelope(await putMember(request, a, "a1", { roles: ["admin"] }, token(b, "root", "admin")), 403, "forbidden");

    // Clicks from B's Slack ids on A's approval are not counted.
    for (const slack of [ub1, ub2]) {
      const click = await slackClick(request, slack, "approve", id);
      expect(click.status()).toBe(200);
      expect(await click.json()).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("not linked") });
    }
    expect(await getApproval(request, a, id)).toMatchObject({ status: "pending", approvals: 0 });
    const before = await writes(request);
    expect(verdictOf(await mcpCall(request, agent, "probe.write", WRITE, { approval_id: id }))?.decision).toBe("approval");
    expect(await writes(request)).toBe(before);
    // A's links are untouched: A's own approvers still decide.
    const view = await (await request.get(`/admin/rbac/${a}/users/a1`, { headers: bearer(token(a, "root", "admin")) })).json();
    expect(view.slack_user_id).toBe(ua1);
    for (const slack of [ua1, ua2]) expect((await slackClick(request, slack, "approve", id)).status()).toBe(200);
    expect((await getApproval(request, a, id)).status).toBe("approved");
  });
});

test.describe("refusals answer with their own status and code (item 13)", () => {
  test("self-approval 403, out-of-group 403, double vote 409, bad signature 403, unknown and foreign ids 404, expired 410, refused Slack click 200", async ({ request }) => {
    const { tenant, agent } = await gatedTenant(request);
    const id = verdictOf(await mcpCall(request, agent, "probe.write", WRITE))!.approval!.id;
    await expectEnvelope(await signedVote(request, tenant, id, "agent-x"), 403, "self_approval");
    await expectEnvelope(await signedVote(request, tenant, id, "helper"), 403, "not_eligible");
    expect((await signedVote(request, tenant, id, "sec1")).status()).toBe(200);
    await expectEnvelope(await signedVote(request, tenant, id, "sec1"), 409, "already_voted");
    await expectEnvelope(await signedVote(request, tenant, id, "sec2", "approved", "not-the-server-secret"), 403, "invalid_signature");
    await expectEnvelope(await request.post("/v1/approvals/appr_doesnotexist/approve", { headers: bearer(token(tenant, "sec2", "approver")), data: { decision: "approved", approver: "sec2", signature: "0".repeat(64) } }), 404, "not_found");
    const other = await newTenant(request, "dual");
    await expectEnvelope(await request.get(`/v1/approvals/${id}`, { headers: bearer(token(other, "sec2", "approver")) }), 404, "not_found");
    await expectEnvelope(await signedVote(request, other, id, "sec2"), 404, "not_found");

    const short = await (
      await request.post("/approvals/create", { headers: bearer(token(tenant, "root", "admin")), data: { tenant, subject: "agent-y", tool: "probe.echo", args: {}, expires_in_seconds: 1 } })
    ).json();
    await expect.poll(async () => (await getApproval(request, tenant, short.id)).status, { timeout: 10_000 }).toBe("expired");
    await expectEnvelope(await signedVote(request, tenant, short.id, "sec1"), 410, "expired");

    const click = await slackClick(request, "UNOBODY01", "approve", id);
    expect(click.status()).toBe(200);
    expect(await click.json()).toMatchObject({ response_type: "ephemeral" });
  });
});
