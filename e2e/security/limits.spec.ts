import { expect, test } from "@playwright/test";
import { generatePolicy } from "../../lib/policy-store/testing";
import { signSlackRequest } from "../../lib/approvals/slack";
import { E2E_SLACK_SIGNING_SECRET } from "../constants";
import { auditRecords, streamPost, tok } from "./http-kit";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, PROBE_POLICY, probeCalls } from "./kit";

/**
 * Issue 9 item 5: every body is bounded while it is read (413 payload_too_large in the envelope),
 * the unauthenticated Slack callback reads nothing before its headers pass and at most 64 KiB, and
 * tool-call arguments are bounded before they are hashed, evaluated or audited.
 */

const MB = 1024 * 1024;
const FIFTY_MB = 50 * MB;

/** `{"a":{"a":…}}`, `levels` deep, as JSON text (built without recursion). */
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

function rpc(args: string, id = 1, name = "probe.echo") {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`;
}

test.describe("request size limits", () => {
  test("a 50 MB tools/call (declared length): 413 payload_too_large, nothing audited, nothing reached the upstream", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = await probeCalls(request);
    const answer = await streamPost("/mcp", { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" }, { total: FIFTY_MB, declareLength: true });
    expect(answer.status, answer.text).toBe(413);
    const body = JSON.parse(answer.text);
    expect(body.error).toMatchObject({ code: "payload_too_large", message: expect.stringMatching(/the limit for MCP requests \(\/mcp\) is 4 MiB; send a smaller body; an operator can raise BODY_LIMIT_MCP_BYTES/) });
    // Answered long before the upload could have finished.
    expect(answer.sent).toBeLessThan(FIFTY_MB / 2);
    expect((await probeCalls(request)).total).toBe(before.total);
    expect(await auditRecords(request, tenant, { kind: "tool_decision" })).toHaveLength(0);
  });

  test("a 50 MB tools/call streamed without a length: cut off past 4 MiB with 413, the rest never read", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = await probeCalls(request);
    const answer = await streamPost("/mcp", { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" }, { total: FIFTY_MB });
    expect(answer.status, answer.text).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe("payload_too_large");
    expect(answer.sent).toBeLessThan(FIFTY_MB / 2);
    expect((await probeCalls(request)).total).toBe(before.total);
    expect(await auditRecords(request, tenant, { kind: "tool_decision" })).toHaveLength(0);
  });

  test("JSON API bodies: 1 MiB (guard/enforce with a 2 MB body is 413, nothing audited)", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const res = await request.post("/api/v1/guard/enforce", {
      headers: { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" },
      data: JSON.stringify({ tool: "probe.echo", arguments: { message: "x".repeat(2 * MB) } }),
    });
    const err = await expectEnvelope(res, 413, "payload_too_large");
    expect(err.message).toMatch(/the limit for JSON API request bodies is 1 MiB/);
    expect(err.details).toMatchObject({ limit_bytes: MB, setting: "BODY_LIMIT_API_BYTES" });
    expect(await auditRecords(request, tenant, { kind: "tool_decision" })).toHaveLength(0);
  });

  test("policy routes fit a generated 1,000-rule policy: it validates, applies and decides calls; over 4 MiB is 413", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    const policy = generatePolicy(1000);
    const author = bearer(tok(tenant, "author", "policy_author"));
    const validated = await request.post("/api/v1/policy/validate", { headers: { ...author, "content-type": "text/yaml" }, data: policy });
    expect(validated.status(), await validated.text()).toBe(200);
    expect(await validated.json()).toMatchObject({ ok: true });
    const version = await pinPolicy(request, tenant, policy);
    const answer = await mcpCall(request, tok(tenant, "agent-1", "agent"), "fs.read", { path: "/sandbox/team-0004/notes.txt" });
    expect(answer.body.result?._meta?.canopyiq).toMatchObject({ rule: "team-0004: sandbox reads", policy_version: version });

    const tooBig = await request.post("/api/v1/policy/apply", {
      headers: author,
      multipart: { strategy: "explicit", tenants_csv: tenant, policy: { name: "p.yaml", mimeType: "application/x-yaml", buffer: Buffer.from(`${policy}${"#".repeat(5 * MB)}`) } },
    });
    const err = await expectEnvelope(tooBig, 413, "payload_too_large");
    expect(err.message).toMatch(/policy requests .* is 4 MiB.*BODY_LIMIT_POLICY_BYTES/);
    // The tenant still runs the version it had.
    const active = await (await request.get("/api/v1/policy", { headers: author })).json();
    expect(active.version).toBe(version);
  });
});

test.describe("the Slack callback reads nothing before its headers pass", () => {
  const path = "/api/approvals/slack/callback";
  const fresh = () => signSlackRequest(E2E_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), "not this body");

  for (const [label, headers] of [
    ["no signature headers", () => ({})],
    ["a stale timestamp", () => ({ ...fresh(), "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000) - 3600) })],
  ] as const) {
    test(`50 MB with ${label}: 401, refused before the body is read`, async () => {
      const answer = await streamPost(path, { ...headers(), "content-type": "application/x-www-form-urlencoded" }, { total: FIFTY_MB });
      expect(answer.status, answer.text).toBe(401);
      expect(JSON.parse(answer.text).error.code).toBe("invalid_slack_signature");
      expect(answer.sent).toBeLessThan(FIFTY_MB / 2);
    });
  }

  test("50 MB behind fresh, well-formed headers: 413 after at most 64 KiB, the signature never checked over it", async () => {
    for (const declareLength of [true, false]) {
      const answer = await streamPost(path, { ...fresh(), "content-type": "application/x-www-form-urlencoded" }, { total: FIFTY_MB, declareLength });
      expect(answer.status, answer.text).toBe(413);
      const err = JSON.parse(answer.text).error;
      expect(err).toMatchObject({ code: "payload_too_large", details: { limit_bytes: 64 * 1024, setting: "BODY_LIMIT_SLACK_BYTES" } });
      expect(answer.sent).toBeLessThan(FIFTY_MB / 2);
    }
  });

  test("a small, correctly signed callback is still accepted", async ({ request }) => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: "view_submission" }))}`;
    const res = await request.post(path, {
      headers: { ...signSlackRequest(E2E_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), body), "content-type": "application/x-www-form-urlencoded" },
      data: body,
    });
    expect(res.status(), await res.text()).toBe(200);
  });
});

test.describe("tool-call arguments are bounded before they are hashed, evaluated or audited", () => {
  test("10,000 levels of nesting over MCP: JSON-RPC -32602, audited as a refusal without the arguments, nothing forwarded", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = await probeCalls(request);
    const res = await request.post("/mcp", { headers: { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" }, data: rpc(nestedJson(10_000), 7) });
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: 7, error: { code: -32602, message: expect.stringMatching(/^invalid params: the call's arguments are nested deeper than 32 levels \(at arguments\.a\.a/), data: { code: "arguments_too_large" } } });
    expect((await probeCalls(request)).total).toBe(before.total);
    const records = await auditRecords(request, tenant, { kind: "tool_decision" });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ tool: "probe.echo", decision: "deny", args: null, subject: "agent-1", data: { refused: "arguments_too_large", limit: "depth", max: 32, actual: 33, source: "mcp" } });
    expect(records[0].trace_id).toBe(body.error.data.details.trace_id);
    expect(JSON.stringify(records[0]).length).toBeLessThan(3000);
  });

  test("3 MB of arguments inside a 4 MiB body: refused by size (TOOL_ARGS_MAX_BYTES), not stored", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const before = await probeCalls(request);
    const res = await request.post("/mcp", { headers: { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" }, data: rpc(JSON.stringify({ message: "x".repeat(3 * MB) })) });
    const body = await res.json();
    expect(body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/larger than 2097152 bytes as JSON.*TOOL_ARGS_MAX_BYTES/) });
    expect((await probeCalls(request)).total).toBe(before.total);
    const [record] = await auditRecords(request, tenant, { kind: "tool_decision" });
    expect(record).toMatchObject({ decision: "deny", args: null, data: { refused: "arguments_too_large", limit: "bytes" } });
  });

  test("the guard API answers 400 arguments_too_large in the envelope, audited; guard/check too (nothing recorded)", async ({ request }) => {
    const tenant = await newTenant(request, "lim");
    await pinPolicy(request, tenant, PROBE_POLICY);
    const headers = { ...bearer(tok(tenant, "agent-1", "agent")), "content-type": "application/json" };
    const data = `{"tool":"probe.write","arguments":${nestedJson(5000)}}`;
    const enforced = await expectEnvelope(await request.post("/api/v1/guard/enforce", { headers, data }), 400, "arguments_too_large");
    expect(enforced.message).toMatch(/nested deeper than 32 levels.*TOOL_ARGS_MAX_DEPTH/);
    expect(enforced.details).toMatchObject({ limit: "depth", audited: true });
    await expectEnvelope(await request.post("/api/v1/guard/check", { headers, data }), 400, "arguments_too_large");
    const items = `{"tool":"probe.echo","arguments":{"list":[${Array.from({ length: 10_001 }, () => "0").join(",")}]}}`;
    const tooMany = await expectEnvelope(await request.post("/api/v1/guard/enforce", { headers, data: items }), 400, "arguments_too_large");
    expect(tooMany.details).toMatchObject({ limit: "items", actual: 10_001, path: "arguments.list" });
    const records = await auditRecords(request, tenant, { kind: "tool_decision" });
    expect(records.map((r) => r.data?.limit).sort()).toEqual(["depth", "items"]);
    expect(records.every((r) => r.args === null && r.decision === "deny")).toBe(true);
  });
});
