import { expect, test, type APIRequestContext } from "@playwright/test";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, probeCalls, resultText, token, verdictOf } from "./kit";

/**
 * Issue 9 item 4: cost rules and budgets cannot be talked down. The catalog price is the floor a
 * stated cost can only raise; a priced call the catalog cannot price has an unknown cost (over
 * every threshold, refused by budgets) unless the policy says otherwise; negative or non-finite
 * money is invalid input. probe.spend carries provider + action, so it is priced like a cloud
 * operation; ec2.run_instances is $30.368 per instance, ec2.allocate_address $3.65.
 */

const POLICY = `version: 1
defaults: { decision: deny }
rules:
  - name: "expensive spend needs finops"
    match: probe.spend
    where: { estimated_cost_usd_over: 50 }
    action: approval
    approver_group: finops
    unknown_cost: deny
    reason: "Spend over $50 needs a finops approver"
  - name: "spend"
    match: probe.spend
    action: allow
`;

const EC2 = { provider: "aws", action: "ec2.run_instances" };
const IP = { provider: "aws", action: "ec2.allocate_address" };

async function setup(request: APIRequestContext, policy = POLICY, budget = 40) {
  const tenant = await newTenant(request, "cost");
  await pinPolicy(request, tenant, policy);
  const admin = token(tenant, "root", "admin");
  const put = await request.put(`/api/admin/tenants/${tenant}/quotas`, { headers: bearer(admin), data: { daily_budget_usd: budget, monthly_budget_usd: 1000 } });
  expect(put.status(), await put.text()).toBe(200);
  return { tenant, agent: token(tenant, "agent-1", "agent"), admin };
}

async function spent(request: APIRequestContext, tenant: string, admin: string): Promise<{ day: number; month: number }> {
  const res = await request.get(`/api/admin/tenants/${tenant}/quotas`, { headers: bearer(admin) });
  expect(res.status(), await res.text()).toBe(200);
  const { usage } = await res.json();
  return { day: usage.day.spent_usd, month: usage.month.spent_usd };
}

const spends = async (request: APIRequestContext) => (await probeCalls(request)).by_tool.spend ?? 0;

/** One tools/call with a raw JSON body: JSON can carry 1e309, a JS object cannot. */
async function rawMcpCall(request: APIRequestContext, t: string, rawArguments: string) {
  const res = await request.post("/mcp", {
    headers: { ...bearer(t), "content-type": "application/json", accept: "application/json, text/event-stream" },
    data: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe.spend","arguments":${rawArguments}}}`,
  });
  return { status: res.status(), body: await res.json() };
}

test.describe("cost rules and budgets cannot be talked down (issue 9 item 4)", () => {
  test("a stated $0, a negative, an infinite or a non-numeric cost: refused, nothing reaches the probe, nothing is spent", async ({ request }) => {
    const { tenant, agent, admin } = await setup(request);
    const before = await spends(request);
    const budget = await spent(request, tenant, admin);

    // Two instances cost $60.74 from the catalog: stating $0 cannot slip under the $50 rule.
    const lowball = await mcpCall(request, agent, "probe.spend", { ...EC2, units: 2, estimated_cost_usd: 0 });
    expect(lowball.status).toBe(200);
    expect(lowball.body.result?.isError).toBe(true);
    expect(verdictOf(lowball)).toMatchObject({ decision: "approval", rule: "expensive spend needs finops", estimated_cost_usd: 60.736 });

    for (const [label, args, reason] of [
      ["negative", { ...IP, estimated_cost_usd: -5 }, /`estimated_cost_usd` must not be negative, got -5/],
      ["a number too large to be finite, as a string", { ...IP, estimated_cost_usd: "9".repeat(400) }, /must be a finite number/],
      ["an exponent string", { ...IP, estimated_cost_usd: "1e309" }, /must be a number, got "1e309"/],
      ["a negative amount", { ...IP, amount_cents: -100 }, /`amount_cents` must not be negative/],
    ] as const) {
      const r = await mcpCall(request, agent, "probe.spend", args);
      expect(r.status, label).toBe(200);
      expect(verdictOf(r), label).toMatchObject({ decision: "deny", rule: null });
      expect(verdictOf(r)!.reason, label).toMatch(reason);
      expect(resultText(r), label).toMatch(/denied|fail closed/i);
    }

    // 1e309 is valid JSON but reads as Infinity: refused as invalid params, before any pricing.
    const infinite = await rawMcpCall(request, agent, `{"provider":"aws","action":"ec2.allocate_address","estimated_cost_usd":1e309}`);
    expect(infinite.status).toBe(200);
    expect(infinite.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/arguments\.estimated_cost_usd is not a finite number/) });
    const negInfinite = await rawMcpCall(request, agent, `{"provider":"aws","action":"ec2.allocate_address","units":-1e400}`);
    expect(negInfinite.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/arguments\.units is not a finite number/) });

    expect(await spends(request)).toBe(before);
    expect(await spent(request, tenant, admin)).toEqual(budget);

    // The control: an honest call within the rule and the budget runs and spends its catalog price.
    const honest = await mcpCall(request, agent, "probe.spend", IP);
    expect(verdictOf(honest)).toMatchObject({ decision: "allow", estimated_cost_usd: 3.65 });
    expect(await spends(request)).toBe(before + 1);
    const after = await spent(request, tenant, admin);
    expect(after.day).toBeCloseTo(budget.day + 3.65, 6);
  });

  test("an action the catalog lacks: the rule's unknown_cost decides, whatever cost the call states", async ({ request }) => {
    const { tenant, agent, admin } = await setup(request);
    const before = await spends(request);
    const budget = await spent(request, tenant, admin);
    for (const stated of [undefined, 0, 1]) {
      const r = await mcpCall(request, agent, "probe.spend", { provider: "aws", action: "quantum.entangle", ...(stated === undefined ? {} : { estimated_cost_usd: stated }) });
      expect(verdictOf(r)).toMatchObject({ decision: "deny", rule: "expensive spend needs finops", cost_known: false });
      expect(verdictOf(r)!.reason).toBe('cost unknown: the catalog has no entry for aws quantum.entangle; rule "expensive spend needs finops" decides unknown_cost: deny');
    }
    expect(await spends(request)).toBe(before);
    expect(await spent(request, tenant, admin)).toEqual(budget);
  });

  test("without unknown_cost, an unknown cost counts as over the threshold: approval, not allow", async ({ request }) => {
    const { agent } = await setup(request, POLICY.replace("    unknown_cost: deny\n", ""));
    const before = await spends(request);
    const r = await mcpCall(request, agent, "probe.spend", { provider: "gcp", action: "tpu.rent", estimated_cost_usd: 0 });
    expect(verdictOf(r)).toMatchObject({ decision: "approval", rule: "expensive spend needs finops", cost_known: false, approval: { id: expect.any(String) } });
    expect(await spends(request)).toBe(before);
  });

  test("a budget refuses an unknown cost a rule lets through, unless defaults.unknown_cost: allow", async ({ request }) => {
    const permissive = `version: 1
defaults: { decision: deny }
rules:
  - { name: "lab spend", match: probe.spend, action: allow, unknown_cost: allow }
`;
    const { tenant, agent, admin } = await setup(request, permissive);
    const before = await spends(request);
    const budget = await spent(request, tenant, admin);
    const r = await mcpCall(request, agent, "probe.spend", { provider: "aws", action: "quantum.entangle" });
    expect(verdictOf(r)).toMatchObject({ decision: "deny", rule: "limit:budget_unknown_cost", cost_known: false });
    expect(verdictOf(r)!.reason).toMatch(/the cost of this call is unknown .* so the daily budget of \$40\.00 for tenant cost-\w+ cannot meter it; the call is refused/);
    expect(await spends(request)).toBe(before);
    expect(await spent(request, tenant, admin)).toEqual(budget);

    // The policy's defaults can let budgets admit such calls, at $0.
    await pinPolicy(request, tenant, permissive.replace("{ decision: deny }", "{ decision: deny, unknown_cost: allow }"));
    const admitted = await mcpCall(request, agent, "probe.spend", { provider: "aws", action: "quantum.entangle" });
    expect(verdictOf(admitted)).toMatchObject({ decision: "allow", estimated_cost_usd: 0, cost_known: false });
    expect(await spends(request)).toBe(before + 1);
    expect(await spent(request, tenant, admin)).toEqual(budget);
  });

  test("the guard API refuses negative, infinite and non-numeric money with 400 naming the field", async ({ request }) => {
    const { agent } = await setup(request);
    for (const [body, field] of [
      [`{"tool":"probe.spend","estimated_cost_usd":-5}`, "estimated_cost_usd"],
      [`{"tool":"refunds.refund","amount_cents":-12000,"op":"refund"}`, "amount_cents"],
      [`{"tool":"probe.spend","arguments":{"estimated_cost_usd":1e309}}`, "arguments.estimated_cost_usd"],
      [`{"tool":"probe.spend","arguments":{"estimated_cost_usd":"1e309"}}`, "arguments.estimated_cost_usd"],
    ] as const) {
      for (const path of ["/api/v1/guard/check", "/api/v1/guard/enforce"]) {
        const res = await request.post(path, { headers: { ...bearer(agent), "content-type": "application/json" }, data: body });
        const err = await expectEnvelope(res, 400, "validation_error");
        expect(err.message, `${path} ${body}`).toMatch(new RegExp(`^invalid request: ${field.replace(/\./g, "\\.")}: `));
      }
    }
  });
});
