import { type APIRequestContext, expect, test } from "@playwright/test";
import { digest } from "../../lib/canonical";
import { bearer, mcpCall, newTenant, pinPolicy, PROBE_POLICY, probeCalls, token, verdictOf } from "./kit";

/**
 * Issue 9 item 11: secrets in an agent's arguments and in a seed 003 approval context are never
 * shown back — not in the audit log (search and export), not in approvals (detail and listing),
 * not in the verdict an agent gets — while equal secrets still correlate within a tenant (same
 * HMAC marker) and never across tenants. What reaches the upstream is the real call.
 */

const SECRETS = ["hunter2", "s3cret", "abc.def.ghi", "AKIAIOSFODNN7EXAMPLE", "Tr0ub4dor"];
const ARGS = { pwd: "hunter2", url: "https://bob:s3cret@api.internal.com/x", headers: { Authorization: "Bearer abc.def.ghi" } };
const URL_MARKER = /https:\/\/bob:\[redacted:url_password:([0-9a-f]{12})\]@api\.internal\.com\/x/;

function expectNoSecrets(text: string, where: string) {
  for (const s of SECRETS) expect(text.includes(s), `${where} shows ${s}`).toBe(false);
}

async function getText(request: APIRequestContext, url: string, t: string): Promise<string> {
  const res = await request.get(url, { headers: bearer(t) });
  const text = await res.text();
  expect(res.status(), text).toBe(200);
  return text;
}

type AuditRecord = { tool: string | null; args: { pwd?: { redacted: boolean; hmac: string }; url?: string } | null };

/** One tenant: the probe policy, an agent that calls probe.echo twice with ARGS, a viewer that reads the log. */
async function tenantWithCalls(request: APIRequestContext) {
  const tenant = await newTenant(request, "red");
  await pinPolicy(request, tenant, PROBE_POLICY);
  const agent = token(tenant, "agent-1", "agent");
  for (let i = 0; i < 2; i++) {
    const answer = await mcpCall(request, agent, "probe.echo", ARGS, { note: "deploy key AKIAIOSFODNN7EXAMPLE" });
    expect(answer.status).toBe(200);
    expect(verdictOf(answer)?.decision).toBe("allow");
    // The verdict in _meta never echoes the call's secrets (the tool's own output is the upstream's).
    expectNoSecrets(JSON.stringify(answer.body.result?._meta ?? {}), "the MCP verdict");
  }
  const viewer = token(tenant, "viewer-1", "viewer");
  const text = await getText(request, "/api/v1/audit?tool=probe.echo&limit=50", viewer);
  const records = (JSON.parse(text) as { records: AuditRecord[] }).records.filter((r) => r.args);
  return { tenant, agent, viewer, text, records };
}

test.describe("redaction of secrets everywhere records and approvals are shown", () => {
  test("an agent call's secrets are redacted in the audit log and its verdict; equal secrets correlate within a tenant only", async ({ request }) => {
    const before = (await probeCalls(request)).by_tool.echo ?? 0;
    const a = await tenantWithCalls(request);

    // The upstream got the real call (redaction is about what is shown, not what runs).
    const probe = await probeCalls(request);
    expect(probe.by_tool.echo - before).toBe(2);
    expect(probe.last.at(-1)?.arguments).toMatchObject({ url: ARGS.url });

    expectNoSecrets(a.text, "GET /api/v1/audit");
    expect(a.records.length).toBeGreaterThanOrEqual(2);
    const [r1, r2] = a.records;
    expect(r1.args!.pwd).toEqual({ redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r1.args!.url).toMatch(URL_MARKER);
    // Same secret, same tenant: same HMAC, same marker.
    expect(r2.args!.pwd!.hmac).toBe(r1.args!.pwd!.hmac);
    expect(r2.args!.url!.match(URL_MARKER)![1]).toBe(r1.args!.url!.match(URL_MARKER)![1]);

    // The export (an admin's download of the whole chain) holds the same redacted records.
    const exported = await getText(request, "/api/v1/audit/export", token(a.tenant, "root", "admin"));
    expect(exported).toContain("[redacted:url_password:");
    expectNoSecrets(exported, "GET /api/v1/audit/export");

    // Same secret, another tenant: different HMAC and marker.
    const b = await tenantWithCalls(request);
    expectNoSecrets(b.text, "GET /api/v1/audit (tenant B)");
    const [rb] = b.records;
    expect(rb.args!.pwd!.hmac).not.toBe(r1.args!.pwd!.hmac);
    expect(rb.args!.url!.match(URL_MARKER)![1]).not.toBe(r1.args!.url!.match(URL_MARKER)![1]);
  });

  test("a seed 003 approval's context is stored and shown redacted; its digest binds the real context", async ({ request }) => {
    const tenant = await newTenant(request, "red");
    const agent = token(tenant, "agent-7", "agent");
    const context = {
      file: "config/production.yaml",
      db_password: "hunter2",
      aws: { key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1" },
      endpoint: "https://deploy:s3cret@ci.internal.example/hook",
    };
    const created = await request.post("/api/v1/approvals", {
      headers: bearer(agent),
      data: { agent: "deployer", action: "deploy", context, reason: "rotate with mysql --password=Tr0ub4dor", summary: "deploy using AKIAIOSFODNN7EXAMPLE" },
    });
    const createdText = await created.text();
    expect(created.status(), createdText).toBe(201);
    expectNoSecrets(createdText, "POST /api/v1/approvals");
    const id = (JSON.parse(createdText) as { id: string }).id;

    const viewer = token(tenant, "viewer-1", "viewer");
    const detailText = await getText(request, `/api/v1/approvals/${id}`, viewer);
    expectNoSecrets(detailText, `GET /api/v1/approvals/${id}`);
    const detail = JSON.parse(detailText);
    expect(detail.context).toMatchObject({
      file: "config/production.yaml",
      db_password: { redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) },
      aws: { key_id: expect.stringMatching(/^\[redacted:aws_access_key_id:[0-9a-f]{12}\]$/), region: "eu-west-1" },
      endpoint: expect.stringMatching(/^https:\/\/deploy:\[redacted:url_password:[0-9a-f]{12}\]@ci\.internal\.example\/hook$/),
    });
    expect(detail.reason).toMatch(/--password=\[redacted:key_value:[0-9a-f]{12}\]$/);
    // The digest that binds the approval to a call is the digest of the real context.
    expect(detail.args_digest).toBe(digest(context));

    expectNoSecrets(await getText(request, "/api/v1/approvals?status=all", viewer), "GET /api/v1/approvals");
    expectNoSecrets(await getText(request, "/api/v1/audit?limit=50", viewer), "GET /api/v1/audit (approval records)");

    // The same password in another approval of this tenant correlates; in another tenant it does not.
    const again = await request.post("/api/v1/approvals", { headers: bearer(agent), data: { agent: "deployer", action: "deploy", context: { db_password: "hunter2" } } });
    expect(again.status()).toBe(201);
    expect((await again.json()).context.db_password.hmac).toBe(detail.context.db_password.hmac);
    const other = await newTenant(request, "red");
    const elsewhere = await request.post("/api/v1/approvals", { headers: bearer(token(other, "agent-7", "agent")), data: { agent: "deployer", action: "deploy", context: { db_password: "hunter2" } } });
    expect(elsewhere.status()).toBe(201);
    expect((await elsewhere.json()).context.db_password.hmac).not.toBe(detail.context.db_password.hmac);
  });

  test("a verdict with a policy trace (guard/check) never echoes an argument's secret", async ({ request }) => {
    const tenant = await newTenant(request, "red");
    await pinPolicy(
      request,
      tenant,
      `version: 1
defaults: { decision: deny }
rules:
  - name: "known logins only"
    match: "probe.echo"
    where:
      params:
        pwd: { allowlist: ["letmein-123"] }
    action: allow
`,
    );
    const res = await request.post("/api/v1/guard/check", { headers: bearer(token(tenant, "agent-1", "agent")), data: { tool: "probe.echo", arguments: ARGS } });
    const text = await res.text();
    expect(res.status(), text).toBe(200);
    const verdict = JSON.parse(text);
    expect(verdict.decision).toBe("deny");
    expect(verdict.trace.length).toBeGreaterThan(0);
    expectNoSecrets(text, "POST /api/v1/guard/check");
  });
});
