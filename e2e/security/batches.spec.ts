import { type APIRequestContext, expect, test } from "@playwright/test";
import { approvalsOf, auditRecords, tok } from "./http-kit";
import { bearer, newTenant, pinPolicy, PROBE_POLICY, probeCalls } from "./kit";

/**
 * Issue 9 item 7: JSON-RPC batches. MCP 2025-06-18 removed batching, so a batch under that revision
 * (or later) is refused; without a version header the spec says 2025-03-26, which has batches:
 * they are capped (MCP_MAX_BATCH = 20) and a larger one is refused whole, nothing executed; each
 * call of an allowed batch goes through the whole pipeline, rate limits included.
 */

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

async function postBatch(request: APIRequestContext, tenant: string, messages: unknown[], headers: Record<string, string> = {}) {
  const res = await request.post("/mcp", {
    headers: { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    data: JSON.stringify(messages),
  });
  return { status: res.status(), body: await res.json() };
}

/** Nothing happened for the tenant: no upstream call, no approval, no audit record. */
async function expectNothingHappened(request: APIRequestContext, tenant: string, probeBefore: number) {
  expect((await probeCalls(request)).total).toBe(probeBefore);
  expect(await approvalsOf(request, tenant)).toEqual([]);
  expect(await auditRecords(request, tenant, { kind: "tool_decision" })).toEqual([]);
}

test.describe("JSON-RPC batches on /mcp", () => {
  test("10,000 gated writes in one batch (no version header): refused whole, nothing ran, no approvals created", async ({ request }) => {
    const tenant = await newTenant(request, "bat");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = (await probeCalls(request)).total;
    const r = await postBatch(request, tenant, Array.from({ length: 10_000 }, (_, i) => call(i + 1, "probe.write", { path: `/x/${i}`, content: "x" })));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600, message: expect.stringMatching(/batch of 10000 messages refused, nothing was run: at most 20 messages per batch \(MCP_MAX_BATCH\)/) } });
    await expectNothingHappened(request, tenant, before);
  });

  test("21 messages (one over the cap): refused whole, nothing ran", async ({ request }) => {
    const tenant = await newTenant(request, "bat");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = (await probeCalls(request)).total;
    const r = await postBatch(request, tenant, [...Array.from({ length: 20 }, (_, i) => call(i + 1, "probe.echo", { message: i })), call(21, "probe.write", { path: "/x", content: "x" })]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: -32600, message: expect.stringMatching(/batch of 21 messages refused/) });
    await expectNothingHappened(request, tenant, before);
  });

  for (const version of ["2025-06-18", "2025-11-25"]) {
    test(`MCP-Protocol-Version ${version}: even a batch of 2 is refused (batching was removed), nothing ran`, async ({ request }) => {
      const tenant = await newTenant(request, "bat");
      await pinPolicy(request, tenant, PROBE_POLICY);
      const before = (await probeCalls(request)).total;
      const r = await postBatch(request, tenant, [call(1, "probe.echo", { message: "a" }), call(2, "probe.echo", { message: "b" })], { "mcp-protocol-version": version });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: -32600, message: expect.stringMatching(new RegExp(`not supported in MCP revision ${version}: batching was removed in 2025-06-18; send one message per POST`)) });
      await expectNothingHappened(request, tenant, before);
    });
  }

  test("a batch of 2 without a version header (2025-03-26 assumed): both run, each audited", async ({ request }) => {
    const tenant = await newTenant(request, "bat");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = (await probeCalls(request)).total;
    const r = await postBatch(request, tenant, [call(1, "probe.echo", { message: "first" }), call(2, "probe.echo", { message: "second" })]);
    expect(r.status).toBe(200);
    expect(r.body.map((m: { id: number }) => m.id).sort()).toEqual([1, 2]);
    expect(r.body.every((m: { result?: { isError?: boolean } }) => m.result && !m.result.isError)).toBe(true);
    expect((await probeCalls(request)).total).toBe(before + 2);
    expect((await auditRecords(request, tenant, { kind: "tool_decision" })).map((a) => a.decision)).toEqual(["allow", "allow"]);
  });

  test("each call of an allowed batch counts against the rate limit", async ({ request }) => {
    const tenant = await newTenant(request, "bat");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const quotas = await request.put(`/api/admin/tenants/${tenant}/quotas`, { headers: bearer(tok(tenant, "root", "admin")), data: { requests_per_minute: 2 } });
    expect(quotas.status(), await quotas.text()).toBe(200);
    const before = (await probeCalls(request)).total;
    const r = await postBatch(request, tenant, [1, 2, 3, 4].map((i) => call(i, "probe.echo", { message: i })));
    expect(r.status).toBe(200);
    const verdicts = r.body.map((m: { result: { _meta: { canopyiq: { decision: string; rule: string | null } } } }) => m.result._meta.canopyiq);
    expect(verdicts.filter((v: { decision: string }) => v.decision === "allow")).toHaveLength(2);
    expect(verdicts.filter((v: { decision: string; rule: string | null }) => v.decision === "deny" && /^limit:/.test(v.rule ?? ""))).toHaveLength(2);
    expect((await probeCalls(request)).total).toBe(before + 2);
  });
});
