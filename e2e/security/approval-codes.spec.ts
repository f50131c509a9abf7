import { expect, test } from "@playwright/test";
import { bearer, expectEnvelope, getApproval, mcpCall, newTenant, pinPolicy, probeCalls, PROBE_POLICY, putMember, token, verdictOf } from "./kit";

/**
 * Seed 004's approval codes attacked on the production server: an agent can neither mint nor guess
 * a code; a code counts once, only for its approver and its approval; the global APPROVAL_CODE is
 * refused unless the legacy mode is on (it is off here). Nothing reaches the upstream on the way,
 * and the approval's state does not change.
 */

interface Setup {
  tenant: string;
  agent: string;
  id: string;
}

/** A tenant whose probe.write needs two secops approvals, two secops approvers, and one pending approval. */
async function setup(request: Parameters<typeof newTenant>[0]): Promise<Setup> {
  const tenant = await newTenant(request, "codes");
  await pinPolicy(request, tenant, PROBE_POLICY);
  for (const u of ["sec1", "sec2"]) expect((await putMember(request, tenant, u, { roles: ["approver"], groups: ["secops"] })).status()).toBe(200);
  const agent = token(tenant, "agent-1", ["agent"]);
  const v = verdictOf(await mcpCall(request, agent, "probe.write", { path: "/etc/codes", content: "x" }));
  expect(v).toMatchObject({ decision: "approval" });
  return { tenant, agent, id: v!.approval!.id };
}

const complete = (request: Parameters<typeof newTenant>[0], t: string, id: string, code: string) => request.post("/approvals/complete", { headers: bearer(t), data: { dry_run_id: id, approval_code: code } });
const reveal = (request: Parameters<typeof newTenant>[0], t: string, id: string) => request.post(`/v1/approvals/${id}/code`, { headers: bearer(t) });

test.describe("approval codes under attack", () => {
  test("an agent cannot mint a code: no approvals.decide permission, and as an approver it cannot decide its own call", async ({ request }) => {
    const s = await setup(request);
    const before = await probeCalls(request);
    await expectEnvelope(await reveal(request, s.agent, s.id), 403);
    // Even holding the approver role, the subject of the call is refused (self-approval).
    await expectEnvelope(await reveal(request, token(s.tenant, "agent-1", ["agent", "approver"]), s.id), 403, "self_approval");
    // An approver outside the rule's group is refused too.
    await putMember(request, s.tenant, "finance1", { roles: ["approver"], groups: ["finance"] });
    await expectEnvelope(await reveal(request, token(s.tenant, "finance1", ["approver"]), s.id), 403, "not_eligible");
    expect((await getApproval(request, s.tenant, s.id)).approvals).toBe(0);
    expect((await probeCalls(request)).total).toBe(before.total);
  });

  test("guessing is throttled: wrong codes are refused and audited, then even the right code waits (429); nothing changed", async ({ request }) => {
    const s = await setup(request);
    const code = (await (await reveal(request, token(s.tenant, "sec1", ["approver"]), s.id)).json()).approval_code as string;
    for (let i = 0; i < 5; i++) await expectEnvelope(await complete(request, s.agent, s.id, `GUESS-${i}0000`), 403, "invalid_approval_code");
    await expectEnvelope(await complete(request, s.agent, s.id, code), 429, "too_many_attempts");
    expect((await getApproval(request, s.tenant, s.id)).approvals).toBe(0);
    const audit = await request.get(`/v1/audit?approval_id=${s.id}&limit=100`, { headers: bearer(token(s.tenant, "auditor", ["viewer"])) });
    const records = (await audit.json()).records as { decision: string | null; data: { code?: string } | null }[];
    expect(records.filter((r) => r.decision === "refused" && r.data?.code === "invalid_approval_code")).toHaveLength(5);
    expect(records.some((r) => r.data?.code === "too_many_attempts")).toBe(true);
  });

  test("a code works once, only for its approver: N-of-M still needs a second approver's code", async ({ request }) => {
    const s = await setup(request);
    const code1 = (await (await reveal(request, token(s.tenant, "sec1", ["approver"]), s.id)).json()).approval_code as string;
    expect(await (await complete(request, s.agent, s.id, code1)).json()).toMatchObject({ status: "pending", approver: "sec1", approvals: 1 });
    await expectEnvelope(await complete(request, s.agent, s.id, code1), 409, "already_voted");
    let a = await getApproval(request, s.tenant, s.id);
    expect(a).toMatchObject({ status: "pending", approvals: 1 });
    // The call is still refused with the approval id: one code is one vote.
    const before = await probeCalls(request);
    expect(verdictOf(await mcpCall(request, s.agent, "probe.write", { path: "/etc/codes", content: "x" }, { approval_id: s.id }))).toMatchObject({ decision: "approval" });
    expect((await probeCalls(request)).total).toBe(before.total);
    const code2 = (await (await reveal(request, token(s.tenant, "sec2", ["approver"]), s.id)).json()).approval_code as string;
    expect(code2).not.toBe(code1);
    expect(await (await complete(request, s.agent, s.id, code2)).json()).toMatchObject({ status: "approved", approver: "sec2" });
    a = await getApproval(request, s.tenant, s.id);
    expect(a.votes.map((v) => v.approver).sort()).toEqual(["sec1", "sec2"]);
  });

  test("a code is bound to its approval: another approval of the same approver refuses it; another tenant does not see it", async ({ request }) => {
    const s = await setup(request);
    const other = verdictOf(await mcpCall(request, s.agent, "probe.write", { path: "/etc/other", content: "y" }))!.approval!.id;
    const code = (await (await reveal(request, token(s.tenant, "sec1", ["approver"]), s.id)).json()).approval_code as string;
    await reveal(request, token(s.tenant, "sec1", ["approver"]), other);
    await expectEnvelope(await complete(request, s.agent, other, code), 403, "invalid_approval_code");
    expect((await getApproval(request, s.tenant, other)).approvals).toBe(0);
    const b = await newTenant(request, "codes-b");
    await expectEnvelope(await complete(request, token(b, "agent-b", ["agent"]), s.id, code), 404);
    expect((await getApproval(request, s.tenant, s.id)).approvals).toBe(0);
  });

  test("legacy mode is off by default: seed 004's global code (or any fixed code) is refused", async ({ request }) => {
    const tenant = await newTenant(request, "codes-legacy");
    await pinPolicy(request, tenant, `version: 1
rules:
  - name: "one approval, no group"
    match: "probe.write"
    action: approval
    reason: "legacy-shaped rule"
`);
    const agent = token(tenant, "agent-1", ["agent"]);
    const id = verdictOf(await mcpCall(request, agent, "probe.write", { path: "/x", content: "x" }))!.approval!.id;
    for (const c of ["your-secure-code-here", "123456"]) await expectEnvelope(await complete(request, agent, id, c), 403, "invalid_approval_code");
    expect((await getApproval(request, tenant, id)).approvals).toBe(0);
  });
});
