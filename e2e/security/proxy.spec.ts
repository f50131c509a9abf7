import { expect, type APIRequestContext, test } from "@playwright/test";
import { E2E_PROBE_PORT, E2E_VAULT_TENANT } from "../constants";
import { bearer, newTenant, pinPolicy, platformAdmin, token } from "./kit";

/**
 * Resources and prompts under policy, attacked through the real server: a denied read or get
 * never reaches the probe upstream (its own counters say so), rules written before kinds existed
 * (`match: "*"`) give no resource or prompt, and an upstream limited to one tenant offers nothing
 * to another — not in lists, not by reading its URIs.
 */

const POLICY = `version: 1
defaults: { decision: allow }
rules:
  - { name: tools, match: "*", action: allow }
  - { name: no-secrets, kind: resource, match: "probe.probe://secret/*", action: deny, reason: "secrets stay upstream" }
  - { name: docs, kind: resource, match: ["probe.probe://docs/*", "probe.probe://pages/*"], action: allow }
  - { name: greet, kind: prompt, match: probe.greet, action: allow }
`;

interface Rpc {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { canopyiq?: { decision: string; rule: string | null; reason: string | null; trace_id: string } } };
}

async function rpc(request: APIRequestContext, t: string, method: string, params?: object): Promise<Rpc> {
  const res = await request.post("/mcp", {
    headers: { ...bearer(t), "content-type": "application/json", accept: "application/json, text/event-stream" },
    data: { jsonrpc: "2.0", id: 1, method, ...(params ? { params } : {}) },
  });
  expect(res.status()).toBe(200);
  return res.json();
}

async function probe(request: APIRequestContext): Promise<{ reads_total: number; gets_total: number }> {
  const res = await request.get(`http://127.0.0.1:${E2E_PROBE_PORT}/calls`);
  expect(res.status()).toBe(200);
  return res.json();
}

const agent = (tenant: string) => token(tenant, "agent-1", "agent");

test.describe("resources and prompts: denied requests never reach the upstream", () => {
  test("an allowed read reaches the probe; denied reads (listed or templated) do not, and name rule, reason and trace id", async ({ request }) => {
    const tenant = await newTenant(request, "res");
    await pinPolicy(request, tenant, POLICY);
    const before = await probe(request);
    const ok = await rpc(request, agent(tenant), "resources/read", { uri: "probe.probe://docs/readme" });
    expect(ok.result).toEqual({ contents: [{ uri: "probe.probe://docs/readme", mimeType: "text/plain", text: "probe readme" }] });
    expect((await probe(request)).reads_total).toBe(before.reads_total + 1);

    for (const uri of ["probe.probe://secret/keys", "probe.probe://secret/../docs/readme", "probe.probe://pages/%2e%2e/secret/keys"]) {
      const r = await rpc(request, agent(tenant), "resources/read", { uri });
      expect(r.error, uri).toBeDefined();
      if (r.error!.code === -32003) expect(r.error!.data?.canopyiq).toMatchObject({ decision: "deny", rule: "no-secrets", reason: "secrets stay upstream" });
      else expect(r.error!.code, uri).toBe(-32602);
    }
    const denied = await rpc(request, agent(tenant), "resources/read", { uri: "probe.probe://secret/keys" });
    expect(denied.error?.message).toContain(`Trace ${denied.error?.data?.canopyiq?.trace_id}`);
    expect((await probe(request)).reads_total).toBe(before.reads_total + 1);
  });

  test("a denied prompt get and a denied subscription never reach the probe", async ({ request }) => {
    const tenant = await newTenant(request, "prm");
    await pinPolicy(request, tenant, POLICY);
    const before = await probe(request);
    const got = await rpc(request, agent(tenant), "prompts/get", { name: "probe.greet" });
    expect(got.result).toMatchObject({ messages: [{ content: { text: "probe greet" } }] });
    const denied = await rpc(request, agent(tenant), "prompts/get", { name: "probe.internal" });
    expect(denied.error).toMatchObject({ code: -32003, data: { canopyiq: { decision: "deny", rule: null } } });
    const sub = await rpc(request, agent(tenant), "resources/subscribe", { uri: "probe.probe://secret/keys" });
    expect(sub.error?.code).toBe(-32003);
    const after = await probe(request);
    expect(after.gets_total).toBe(before.gets_total + 1);
    expect(after.reads_total).toBe(before.reads_total);
  });

  test('a policy written for tools only (match: "*") lists and gives no resource or prompt', async ({ request }) => {
    const tenant = await newTenant(request, "old");
    await pinPolicy(request, tenant, `version: 1\ndefaults: { decision: allow }\nrules:\n  - { name: everything, match: "*", action: allow }\n`);
    const before = await probe(request);
    expect((await rpc(request, agent(tenant), "resources/list")).result).toEqual({ resources: [] });
    expect((await rpc(request, agent(tenant), "prompts/list")).result).toEqual({ prompts: [] });
    expect((await rpc(request, agent(tenant), "resources/read", { uri: "probe.probe://docs/readme" })).error).toMatchObject({ code: -32003, data: { canopyiq: { rule: null } } });
    expect((await rpc(request, agent(tenant), "prompts/get", { name: "probe.greet" })).error?.code).toBe(-32003);
    const after = await probe(request);
    expect([after.reads_total, after.gets_total]).toEqual([before.reads_total, before.gets_total]);
  });
});

test.describe("tenant isolation of upstream resources and prompts", () => {
  const OPEN = `version: 1\ndefaults: { decision: allow }\nrules:\n  - { name: all-resources, kind: resource, match: "*", action: allow }\n  - { name: all-prompts, kind: prompt, match: "*", action: allow }\n`;

  test("another tenant's upstream is invisible: not listed, not readable, nothing reaches it; its own tenant uses it", async ({ request }) => {
    const created = await request.post("/api/admin/tenants", { headers: bearer(platformAdmin()), data: { id: E2E_VAULT_TENANT, name: "Vault owner" } });
    expect([201, 409]).toContain(created.status());
    await pinPolicy(request, E2E_VAULT_TENANT, OPEN);
    const other = await newTenant(request, "iso");
    await pinPolicy(request, other, OPEN);

    const owner = agent(E2E_VAULT_TENANT);
    const ownerList = (await rpc(request, owner, "resources/list")).result as { resources: { uri: string }[] };
    expect(ownerList.resources.map((r) => r.uri)).toContain("vault.probe://docs/readme");

    const before = await probe(request);
    const attacker = agent(other);
    const lists = await Promise.all(["resources/list", "resources/templates/list", "prompts/list"].map((m) => rpc(request, attacker, m)));
    expect(JSON.stringify(lists)).not.toContain("vault.");
    expect(JSON.stringify(lists)).toContain("probe.probe://docs/readme");
    expect((await rpc(request, attacker, "resources/read", { uri: "vault.probe://docs/readme" })).error).toMatchObject({ code: -32002 });
    expect((await rpc(request, attacker, "prompts/get", { name: "vault.greet" })).error).toMatchObject({ code: -32602, message: "Unknown prompt: vault.greet" });
    expect((await rpc(request, attacker, "completion/complete", { ref: { type: "ref/prompt", name: "vault.greet" }, argument: { name: "x", value: "" } })).error?.code).toBe(-32602);
    const after = await probe(request);
    expect([after.reads_total, after.gets_total]).toEqual([before.reads_total, before.gets_total]);

    expect((await rpc(request, owner, "resources/read", { uri: "vault.probe://docs/readme" })).result).toMatchObject({ contents: [{ uri: "vault.probe://docs/readme", text: "probe readme" }] });
  });
});
