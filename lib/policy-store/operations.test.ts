import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Hex } from "@/lib/canonical";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { createTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { createVersionRolledOutToAll } from "@/lib/db/policy-versions";
import { upsertTenant } from "@/lib/db/tenants";
import type { Principal } from "@/lib/auth";
import { simulateCall, validatePolicyText } from "./operations";
import { simulateRequestSchema } from "./schemas";

const samples = readFileSync("policies/samples.yaml", "utf8");
const alice: Principal = { kind: "token", tenant: "sim-tenant", subject: "alice", roles: ["admin", "approver"] };
const now = new Date("2026-11-21T10:00:00Z");

let db: TestDb;
let svc: Services;

beforeAll(async () => {
  db = await createTestDb();
  svc = createTestServices(db);
  const { prisma } = db;
  await upsertTenant(prisma, "sim-tenant", "Sim");
  await createVersionRolledOutToAll(prisma, { yaml: samples, hash: sha256Hex(samples), verified: false, author: "test" });
});
afterAll(async () => {
  await svc.close();
  await db?.drop();
});

describe("simulate against the tenant's active policy", () => {
  test("seed 000 §6B: the cost rule asks for approval, with a trace", async () => {
    const req = simulateRequestSchema.parse({
      tool: "cloud.ops",
      arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 },
    });
    const r = await simulateCall(svc, alice, req, now);
    expect(r.ok).toBe(true);
    expect(r.policy_source).toBe("active");
    expect(r.decision?.decision).toBe("approval");
    expect(r.decision?.trace?.length).toBeGreaterThan(0);
    expect(r.trace_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("seed 000 §1: fs.write outside the jail needs two secops approvers", async () => {
    const r = await simulateCall(svc, alice, simulateRequestSchema.parse({ tool: "fs.write", arguments: { path: "/etc/hosts", content: "x" } }), now);
    expect(r.decision).toMatchObject({ decision: "approval", required_approvals: 2, approver_group: "secops", rule: "FS-write outside jail requires dual approval" });
  });

  test("an inline policy overrides the active one", async () => {
    const inline = "version: 1\ndefaults: { decision: allow }\nrules: []\n";
    const r = await simulateCall(svc, alice, simulateRequestSchema.parse({ tool: "fs.write", arguments: {}, policy: inline }), now);
    expect(r).toMatchObject({ ok: true, policy_source: "inline", decision: { decision: "allow", matched_default: true } });
  });

  test.each([
    ["an agent", ["agent"]],
    ["an approver", ["approver"]],
    ["a viewer holding no write role", ["viewer", "approver"]],
  ])("%s may simulate against the active policy but not send an inline one (403 naming policies.write)", async (_label, roles) => {
    const caller: Principal = { kind: "token", tenant: "sim-tenant", subject: "bot", roles };
    const active = await simulateCall(svc, caller, simulateRequestSchema.parse({ tool: "fs.read", arguments: { path: "/sandbox/a" } }), now);
    expect(active).toMatchObject({ ok: true, policy_source: "active" });
    const inline = simulateCall(svc, caller, simulateRequestSchema.parse({ tool: "x", policy: "version: 1\nrules: []\n" }), now);
    await expect(inline).rejects.toMatchObject({ status: 403, code: "forbidden", details: { permission: "policies.write" } });
    await expect(inline).rejects.toThrow(/permission policies.write is required to simulate an inline `policy`/);
  });

  test.each([["a policy author", ["policy_author"]], ["an admin", ["admin"]]])("%s may simulate an inline policy", async (_label, roles) => {
    const caller: Principal = { kind: "token", tenant: "sim-tenant", subject: "author", roles };
    const r = await simulateCall(svc, caller, simulateRequestSchema.parse({ tool: "x", policy: "version: 1\ndefaults: { decision: allow }\nrules: []\n" }), now);
    expect(r).toMatchObject({ ok: true, policy_source: "inline", decision: { decision: "allow" } });
  });

  test.each([
    { label: "a resource a kind: resource rule allows", body: { kind: "resource", tool: "file:///docs/a.md" }, expected: { decision: "allow", rule: "docs" } },
    { label: "a resource no rule allows (defaults: allow is for tools)", body: { kind: "resource", tool: "file:///etc/passwd" }, expected: { decision: "deny", rule: null } },
    { label: "a prompt", body: { kind: "prompt", tool: "docs.summarize" }, expected: { decision: "deny", rule: null } },
    { label: "the tool of the same URI", body: { tool: "file:///docs/a.md" }, expected: { decision: "allow", rule: null } },
  ])("simulate takes kind: $label", async ({ body, expected }) => {
    const inline = 'version: 1\ndefaults: { decision: allow }\nrules:\n  - { name: docs, kind: resource, match: "file:///docs/*", action: allow }\n';
    const r = await simulateCall(svc, alice, simulateRequestSchema.parse({ ...body, policy: inline }), now);
    expect(r.decision).toMatchObject(expected);
  });

  test("another tenant is refused", async () => {
    await expect(simulateCall(svc, alice, simulateRequestSchema.parse({ tool: "x", tenant: "other" }), now)).rejects.toThrow(/acts for tenant sim-tenant, not other/);
  });

  test("a bad request names the field", () => {
    const r = simulateRequestSchema.safeParse({ tool: "x", at: "yesterday" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/ISO 8601/);
  });
});

describe("validate", () => {
  test("the samples are valid", () => {
    expect(validatePolicyText(svc, samples)).toMatchObject({ ok: true, errors: [] });
  });
  test("a typo is reported with line and column and a suggestion", () => {
    const r = validatePolicyText(svc, "version: 1\nrules:\n  - name: a\n    match: x\n    action: aprove\n");
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatchObject({ line: 5 });
    expect(r.errors[0].message).toMatch(/aprove/);
  });
});
