import { expect, test, type APIRequestContext } from "@playwright/test";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, probeCalls, token, verdictOf } from "./kit";

/**
 * Issue 9 item 6: regex denial of service. `^(a+)+$` against a long run of 'a' ending in '!'
 * takes a backtracking engine 2^n steps; policy regexes run on RE2 (linear time), validation
 * refuses what only a backtracking engine can run, and only policy authors may make the server
 * compile and run a policy of their own (inline simulate, diff).
 */

const EVIL = "^(a+)+$";
const INPUT = "a".repeat(50_000) + "!";

const policyWith = (pattern: string) => `version: 1
defaults: { decision: deny }
rules:
  - name: "echo only safe messages"
    match: probe.echo
    where:
      params:
        message: { type: string, required: true, pattern: ${JSON.stringify(pattern)} }
    action: allow
`;

/** The server still answers other requests promptly. */
async function stillServing(request: APIRequestContext) {
  const started = Date.now();
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  return Date.now() - started;
}

test.describe("regex denial of service (issue 9 item 6)", () => {
  test("inline simulate with ^(a+)+$ answers at once, and the server keeps serving", async ({ request }) => {
    const tenant = await newTenant(request, "re");
    const author = token(tenant, "author", "policy_author");
    const started = Date.now();
    // The health check races the simulation: a blocked event loop would hold both.
    const [res, healthMs] = await Promise.all([
      request.post("/api/v1/policy/simulate", { headers: bearer(author), data: { tool: "probe.echo", arguments: { message: INPUT }, policy: policyWith(EVIL) } }),
      stillServing(request),
    ]);
    const ms = Date.now() - started;
    console.log(`inline simulate of ${EVIL} on ${INPUT.length} characters answered in ${ms} ms (health in ${healthMs} ms)`);
    expect(res.status(), await res.text()).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, policy_source: "inline", decision: { decision: "deny", matched_default: true } });
    // Generous: a backtracking engine would need about 2^50000 steps, i.e. never.
    expect(ms).toBeLessThan(15_000);

    const match = await request.post("/api/v1/policy/simulate", { headers: bearer(author), data: { tool: "probe.echo", arguments: { message: "a".repeat(50_000) }, policy: policyWith(EVIL) } });
    expect((await match.json()).decision).toMatchObject({ decision: "allow", rule: "echo only safe messages" });
    await stillServing(request);
  });

  test("an active policy with ^(a+)+$: the call is decided at once, nothing unsafe reaches the probe", async ({ request }) => {
    const tenant = await newTenant(request, "re");
    await pinPolicy(request, tenant, policyWith(EVIL));
    const agent = token(tenant, "agent-1", "agent");
    const before = (await probeCalls(request)).by_tool.echo ?? 0;

    const started = Date.now();
    const [attack, healthMs] = await Promise.all([mcpCall(request, agent, "probe.echo", { message: INPUT }), stillServing(request)]);
    const ms = Date.now() - started;
    console.log(`gateway call with ${EVIL} on ${INPUT.length} characters answered in ${ms} ms (health in ${healthMs} ms)`);
    expect(attack.status).toBe(200);
    expect(verdictOf(attack)).toMatchObject({ decision: "deny", rule: null });
    expect(ms).toBeLessThan(15_000);
    expect((await probeCalls(request)).by_tool.echo ?? 0).toBe(before);

    // The pattern still means what it says: a message that matches runs.
    const ok = await mcpCall(request, agent, "probe.echo", { message: "aaaa" });
    expect(verdictOf(ok)).toMatchObject({ decision: "allow" });
    expect((await probeCalls(request)).by_tool.echo ?? 0).toBe(before + 1);
  });

  test("an agent (or an approver) may not simulate an inline policy or diff one: 403 naming policies.write", async ({ request }) => {
    const tenant = await newTenant(request, "re");
    await pinPolicy(request, tenant, policyWith("^[a-z]+$"));
    for (const role of ["agent", "approver"]) {
      const t = token(tenant, `${role}-1`, role);
      const inline = await request.post("/api/v1/policy/simulate", { headers: bearer(t), data: { tool: "probe.echo", arguments: { message: INPUT }, policy: policyWith(EVIL) } });
      const err = await expectEnvelope(inline, 403, "forbidden");
      expect(err.message).toMatch(/^permission policies\.write is required to simulate an inline `policy`/);
      expect(err.details).toMatchObject({ permission: "policies.write" });

      const diff = await request.post("/api/v1/policy/diff", { headers: bearer(t), data: { proposed: policyWith(EVIL) } });
      const derr = await expectEnvelope(diff, 403, "forbidden");
      expect(derr.message).toMatch(/permission policies\.write is required/);

      // Simulating against the active policy stays open to them.
      const active = await request.post("/api/v1/policy/simulate", { headers: bearer(t), data: { tool: "probe.echo", arguments: { message: "abc" } } });
      expect(active.status()).toBe(200);
      expect(await active.json()).toMatchObject({ ok: true, policy_source: "active", decision: { decision: "allow" } });
    }
  });

  test("validation refuses backreferences, lookaround and over-long patterns at their line and column", async ({ request }) => {
    const tenant = await newTenant(request, "re");
    const author = token(tenant, "author", "policy_author");
    for (const [pattern, message] of [
      ["^(a)\\1$", /`pattern` uses a backreference \(`\\1` at character 5\), which is not supported: policy regexes run on a linear-time engine \(RE2\)/],
      ["^(?!admin).*$", /`pattern` uses a lookahead \(`\(\?!` at character 2\).*`not:` condition block/],
      ["(?<=x)y", /`pattern` uses a lookbehind/],
      ["a".repeat(1001), /`pattern` is 1001 characters long; policy regexes are limited to 1,000 characters/],
    ] as const) {
      const yaml = policyWith(pattern);
      const line = yaml.split("\n").findIndex((l) => l.includes("pattern:")) + 1;
      const column = yaml.split("\n")[line - 1].indexOf('"') + 1;
      const res = await request.post("/api/v1/policy/validate", { headers: { ...bearer(author), "content-type": "text/yaml" }, data: yaml });
      expect(res.status()).toBe(200);
      const body = await res.json();
      expect(body.ok).toBe(false);
      expect(body.errors[0]).toMatchObject({ line, column, path: "rules[0].where.params.message.pattern", message: expect.stringMatching(message) });

      const apply = await request.post("/api/v1/policy/apply", { headers: bearer(author), data: { strategy: "explicit", tenants_csv: tenant, policy: yaml } });
      const err = await expectEnvelope(apply, 400, "invalid_policy");
      expect(err.message).toMatch(new RegExp(`^proposed policy is not valid: line ${line}, column ${column}: `));
    }
  });
});
