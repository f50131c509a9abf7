import { describe, expect, test } from "vitest";
import { UnknownToolError } from "@/lib/mcp/upstreams/errors";
import { builtinTools } from "./toolset";
import type { AegisDeps, CallerContext } from "./types";

const ctx: CallerContext = { tenant: "demo-tenant", subject: "agent-42", roles: ["agent"], traceId: "tr-1" };

/** Fake dependencies that record what the tools asked for. */
function fakeDeps() {
  const calls: { fn: string; input?: unknown; ctx: CallerContext }[] = [];
  const deps: AegisDeps = {
    getPolicy: async (c) => (calls.push({ fn: "getPolicy", ctx: c }), { version: "v7", hash: "abc", rules: [] }),
    check: async (call, c) => (calls.push({ fn: "check", input: call, ctx: c }), { decision: "allow", rule: "small refunds", trace_id: c.traceId }),
    enforce: async (call, c) => (calls.push({ fn: "enforce", input: call, ctx: c }), { decision: "approval", approval_id: "ap-1" }),
    requireApproval: async (req, c) => (calls.push({ fn: "requireApproval", input: req, ctx: c }), { status: req.approval_code ? "approved" : "pending" }),
    audit: async (entry, c) => (calls.push({ fn: "audit", input: entry, ctx: c }), { seq: 12, hash: "h" }),
  };
  return { deps, calls };
}

const json = (r: { content: unknown }) => JSON.parse((r.content as { text: string }[])[0].text);

describe("built-in tools: definitions", () => {
  test("cloud.estimate alone without dependencies; with them the five aegis.* tools and seed 004's bare names as aliases", () => {
    expect(builtinTools().list().map((t) => t.name)).toEqual(["cloud.estimate"]);
    expect(builtinTools({ aegis: fakeDeps().deps }).list().map((t) => t.name)).toEqual([
      "cloud.estimate",
      "aegis.policy_get",
      "aegis.guard_check",
      "aegis.firewall_enforce",
      "aegis.require_approval",
      "aegis.audit_write",
      "policy_get",
      "guard_check",
      "firewall_enforce",
      "require_approval",
      "audit_write",
    ]);
  });

  test.each([
    ["policy_get", "aegis.policy_get"],
    ["audit_write", "aegis.audit_write"],
    ["require_approval", "aegis.require_approval"],
    ["guard_check", "aegis.guard_check"],
    ["firewall_enforce", "aegis.firewall_enforce"],
    ["aegis.guard_check", "aegis.guard_check"],
    ["fs.write", "fs.write"],
  ])("%s is governed as %s (same permission, the policy sees the canonical name, said in the description)", (name, canonical) => {
    const tools = builtinTools({ aegis: fakeDeps().deps });
    expect(tools.canonical(name)).toBe(canonical);
    if (name !== canonical) {
      expect(tools.get(name)!.permission).toBe(tools.get(canonical)!.permission);
      expect(tools.get(name)!.description).toContain(`policies, permissions and the audit log see ${canonical}`);
    }
  });

  test("input schemas are JSON Schema objects listing required arguments", () => {
    const tools = builtinTools({ aegis: fakeDeps().deps });
    const byName = Object.fromEntries(tools.list().map((t) => [t.name, t]));
    expect(byName["cloud.estimate"].inputSchema).toMatchObject({
      type: "object",
      required: ["provider", "action"],
      properties: { provider: { enum: ["aws", "gcp", "azure"] }, units: { type: "number", minimum: 0, default: 1 } },
      additionalProperties: false,
    });
    expect(byName["aegis.guard_check"].inputSchema).toMatchObject({ required: ["tool"], properties: { amount_cents: { type: "integer" } } });
    expect(byName["aegis.require_approval"].inputSchema.required).toEqual(["dry_run_id"]);
    expect(byName["aegis.policy_get"].inputSchema).toMatchObject({ type: "object", properties: {} });
    expect(byName["aegis.firewall_enforce"].annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.get("aegis.audit_write")!.permission).toBe("audit.write");
  });
});

describe("cloud.estimate", () => {
  const tools = builtinTools();

  test("seed 000: aws ec2.run_instances × 10 → USD with the price table used", async () => {
    const r = await tools.call("cloud.estimate", { provider: "aws", action: "ec2.run_instances", units: 10 }, ctx);
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({
      estimated_cost_usd: 303.68,
      currency: "USD",
      unit_price_usd: 30.368,
      units: 10,
      unit: "instance-month",
      matched: true,
      price_table: { catalog_version: "2026-11", entry: { provider: "aws", action: "ec2.run_instances", variants: { "t3.micro": 7.592 } } },
    });
    expect(json(r)).toEqual(r.structuredContent);
  });

  test("an unknown action lists the provider's known actions", async () => {
    const r = await tools.call("cloud.estimate", { provider: "gcp", action: "compute.teleport" }, ctx);
    expect(r.structuredContent).toMatchObject({ matched: false, estimated_cost_usd: 0 });
    expect((r.structuredContent as { price_table: { available_actions: string[] } }).price_table.available_actions).toContain("compute.instances.insert");
  });

  test.each([
    ["an unknown provider", { provider: "ibm", action: "x" }, /^invalid arguments for cloud.estimate: provider: Invalid option/],
    ["negative units", { provider: "aws", action: "s3.put_object", units: -1 }, /units: Too small/],
    ["a missing action", { provider: "aws" }, /action: Invalid input/],
    ["an unknown argument", { provider: "aws", action: "s3.put_object", region: "eu" }, /Unrecognized key: "region"/],
  ])("%s is a tool error the agent can correct", async (_label, args, message) => {
    const r = await tools.call("cloud.estimate", args, ctx);
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0].text).toMatch(message);
  });
});

describe("AegisMCP tools with injected dependencies", () => {
  test.each([
    ["aegis.policy_get", {}, "getPolicy", undefined, { version: "v7", hash: "abc", rules: [] }],
    [
      "aegis.guard_check",
      { tool: "refunds.refund", amount_cents: 12000, op: "refund" },
      "check",
      { tool: "refunds.refund", arguments: { amount_cents: 12000, op: "refund" } },
      { decision: "allow", rule: "small refunds", trace_id: "tr-1" },
    ],
    [
      "aegis.firewall_enforce",
      { tool: "refunds.refund", amount_cents: 20000, op: "refund", arguments: { customer: "c-9" }, meta: { ticket: "T-1" } },
      "enforce",
      { tool: "refunds.refund", arguments: { customer: "c-9", amount_cents: 20000, op: "refund" }, meta: { ticket: "T-1" } },
      { decision: "approval", approval_id: "ap-1" },
    ],
    ["aegis.require_approval", { dry_run_id: "ap-1" }, "requireApproval", { dry_run_id: "ap-1" }, { status: "pending" }],
    ["aegis.require_approval", { dry_run_id: "ap-1", approval_code: "123456" }, "requireApproval", { dry_run_id: "ap-1", approval_code: "123456" }, { status: "approved" }],
    ["aegis.audit_write", { action: "refund issued", tool: "refunds.refund", ok: true }, "audit", { action: "refund issued", tool: "refunds.refund", ok: true }, { seq: 12, hash: "h" }],
  ])("%s %j calls deps.%s and returns its answer", async (name, args, fn, input, answer) => {
    const { deps, calls } = fakeDeps();
    const r = await builtinTools({ aegis: deps }).call(name, args, ctx);
    expect(calls).toEqual([{ fn, ...(input === undefined ? {} : { input }), ctx }]);
    expect(r.structuredContent).toEqual(answer);
    expect(json(r)).toEqual(answer);
  });

  test("invalid arguments never reach the dependencies", async () => {
    const { deps, calls } = fakeDeps();
    const r = await builtinTools({ aegis: deps }).call("aegis.guard_check", { tool: "refunds.refund", amount_cents: 12.5 }, ctx);
    expect(r).toMatchObject({ isError: true, content: [{ text: "invalid arguments for aegis.guard_check: amount_cents: Invalid input: expected int, received number" }] });
    expect(calls).toEqual([]);
  });

  test("a dependency's failure propagates (the gateway fails closed on it)", async () => {
    const { deps } = fakeDeps();
    deps.audit = async () => {
      throw new Error("audit store unreachable");
    };
    await expect(builtinTools({ aegis: deps }).call("aegis.audit_write", { action: "x" }, ctx)).rejects.toThrow("audit store unreachable");
  });

  test("an unknown built-in is UnknownToolError", async () => {
    await expect(builtinTools().call("aegis.policy_get", {}, ctx)).rejects.toBeInstanceOf(UnknownToolError);
  });
});
