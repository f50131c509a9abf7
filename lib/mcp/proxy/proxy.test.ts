import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditSearchQuerySchema } from "@/lib/audit/schemas";
import { serveDataPlane } from "@/lib/data-plane/serve";
import { type DataPlaneFixture, setUpDataPlane } from "@/lib/data-plane/testing";
import { env } from "@/lib/env";
import { startTestUpstream, type TestUpstream } from "@/lib/mcp/upstreams/test-server";
import { services } from "@/lib/server";
import { POLICY_DENIED, RESOURCE_NOT_FOUND } from "./dispatch";

/**
 * Resources, templates, prompts and completions through the real node:http data plane, fronting
 * an upstream ("tickets", prefixed) that counts every read, get and completion that reaches it.
 */

let fixture: DataPlaneFixture;
let upstream: TestUpstream;
let plane: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  upstream = await startTestUpstream({ token: "proxy-token", label: "probe", offerings: true });
  fixture = await setUpDataPlane({
    label: "proxy",
    upstream,
    upstreamToken: "proxy-token",
    policyYaml: [
      "version: 1",
      "defaults: { decision: allow }",
      "rules:",
      '  - { name: tools, match: "*", action: allow }',
      '  - { name: no-secrets, kind: resource, match: "tickets.test://secret/*", action: deny, reason: "secrets stay upstream" }',
      '  - { name: docs, kind: resource, match: "tickets.test://docs/*", action: allow }',
      '  - { name: no-internal, kind: prompt, match: tickets.internal, action: deny, reason: "internal prompts are not for agents" }',
      '  - { name: prompts, kind: prompt, match: "tickets.*", action: allow }',
    ].join("\n"),
  });
  plane = await serveDataPlane({ port: 0, host: "127.0.0.1" });
}, 120_000);

afterAll(async () => {
  await plane?.close();
  await upstream?.stop();
  await fixture?.teardown();
});

let nextId = 1;
async function rpc(method: string, params?: object): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } }> {
  const res = await fetch(`${plane.url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${fixture.token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, ...(params ? { params } : {}) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

async function records(kind: string) {
  return (await services().audit.search(env().CANOPY_DEMO_TENANT, auditSearchQuerySchema.parse({ kind, limit: 500 }))).records;
}

describe("listing", () => {
  test("initialize advertises resources, prompts, completions and logging, as the upstream offers them, their list changes on GET /mcp", async () => {
    const r = await rpc("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } });
    expect(r.result?.capabilities).toEqual({ tools: { listChanged: true }, resources: { listChanged: true }, prompts: { listChanged: true }, completions: {}, logging: {} });
  });

  test.each([
    { label: "resources/list shows what the policy may allow, under the upstream's prefix", method: "resources/list", field: "resources", key: "uri", shown: ["tickets.test://docs/readme"] },
    { label: "resources/templates/list hides a template only denied URIs expand to", method: "resources/templates/list", field: "resourceTemplates", key: "uriTemplate", shown: ["tickets.test://docs/pages/{page}"] },
    { label: "prompts/list hides the denied prompt", method: "prompts/list", field: "prompts", key: "name", shown: ["tickets.greet"] },
  ])("$label", async ({ method, field, key, shown }) => {
    const r = await rpc(method);
    expect((r.result?.[field] as Record<string, string>[]).map((x) => x[key])).toEqual(shown);
  });
});

describe("reads, gets and completions", () => {
  test("an allowed read reaches the upstream and answers with the exposed URI, audited before and after", async () => {
    const before = upstream.seen.reads.length;
    const r = await rpc("resources/read", { uri: "tickets.test://docs/readme" });
    expect(r.result).toEqual({ contents: [{ uri: "tickets.test://docs/readme", mimeType: "text/plain", text: "probe: readme" }] });
    expect(upstream.seen.reads.slice(before)).toEqual(["test://docs/readme"]);
    expect((await records("resource_decision")).find((x) => x.tool === "tickets.test://docs/readme")).toMatchObject({ decision: "allow", rule: "docs" });
  });

  test("a URI of a template is read through it", async () => {
    const r = await rpc("resources/read", { uri: "tickets.test://docs/pages/7" });
    expect(r.result).toMatchObject({ contents: [{ uri: "tickets.test://docs/pages/7", text: "probe: docs page 7" }] });
  });

  test.each([
    { label: "a listed secret", uri: "tickets.test://secret/keys" },
    { label: "a templated secret (not listed, still denied)", uri: "tickets.test://secret/pages/1" },
  ])("a denied read ($label) never reaches the upstream and names rule, reason and trace id", async ({ uri }) => {
    const before = upstream.seen.reads.length;
    const r = await rpc("resources/read", { uri });
    expect(r.error).toMatchObject({ code: POLICY_DENIED, data: { canopyiq: { decision: "deny", rule: "no-secrets", reason: "secrets stay upstream" } } });
    const traceId = (r.error!.data!.canopyiq as { trace_id: string }).trace_id;
    expect(r.error!.message).toContain(`Trace ${traceId}`);
    expect(upstream.seen.reads.length).toBe(before);
    expect((await records("resource_decision")).find((x) => x.trace_id === traceId)).toMatchObject({ decision: "deny", rule: "no-secrets", tool: uri });
  });

  test.each([
    { label: "a dot segment", uri: "tickets.test://docs/../secret/keys", code: -32602 },
    { label: "an encoded dot segment", uri: "tickets.test://docs/%2E%2E/secret/keys", code: -32602 },
    { label: "a URI no upstream serves", uri: "nowhere://x", code: RESOURCE_NOT_FOUND },
    { label: "a URI past 500 characters", uri: `tickets.test://docs/${"a".repeat(500)}`, code: -32602 },
  ])("$label is refused before the policy and the upstream", async ({ uri, code }) => {
    const before = upstream.seen.reads.length;
    const r = await rpc("resources/read", { uri });
    expect(r.error?.code).toBe(code);
    expect(upstream.seen.reads.length).toBe(before);
  });

  test("a URI the upstream does not have: its own error is relayed, naming the upstream", async () => {
    const r = await rpc("resources/read", { uri: "tickets.test://docs/none" });
    expect(r.error).toMatchObject({ code: -32602, message: expect.stringContaining("upstream tickets refused") });
  });

  test("an allowed prompt is got from the upstream", async () => {
    const r = await rpc("prompts/get", { name: "tickets.greet", arguments: { who: "ada" } });
    expect(r.result).toMatchObject({ messages: [{ role: "user", content: { type: "text", text: "probe: hello ada" } }] });
    expect((await records("prompt_decision")).find((x) => x.tool === "tickets.greet")).toMatchObject({ decision: "allow", rule: "prompts" });
  });

  test("a denied prompt never reaches the upstream", async () => {
    const before = upstream.seen.gets.length;
    const r = await rpc("prompts/get", { name: "tickets.internal" });
    expect(r.error).toMatchObject({ code: POLICY_DENIED, data: { canopyiq: { rule: "no-internal", reason: "internal prompts are not for agents" } } });
    expect(upstream.seen.gets.length).toBe(before);
  });

  test("an unknown prompt is invalid params", async () => {
    expect((await rpc("prompts/get", { name: "nope" })).error).toMatchObject({ code: -32602, message: "Unknown prompt: nope" });
  });

  test("completion of an allowed prompt's argument is relayed", async () => {
    const r = await rpc("completion/complete", { ref: { type: "ref/prompt", name: "tickets.greet" }, argument: { name: "who", value: "al" } });
    expect(r.result).toMatchObject({ completion: { values: ["alice", "albert"] } });
  });

  test("completion of a denied prompt is refused before the upstream", async () => {
    const before = upstream.seen.completions;
    const r = await rpc("completion/complete", { ref: { type: "ref/prompt", name: "tickets.internal" }, argument: { name: "x", value: "a" } });
    expect(r.error?.code).toBe(POLICY_DENIED);
    expect(upstream.seen.completions).toBe(before);
  });

  test("logging/setLevel is accepted (a bad level is invalid params)", async () => {
    expect((await rpc("logging/setLevel", { level: "info" })).result).toEqual({});
    expect((await rpc("logging/setLevel", { level: "loud" })).error?.code).toBe(-32602);
  });
});
