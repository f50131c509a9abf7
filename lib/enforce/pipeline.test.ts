import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, test } from "vitest";
import type { ApprovalService } from "@/lib/approvals";
import type { ApprovalView } from "@/lib/approvals/schemas";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Queryer } from "@/lib/db/audit-records";
import { estimateCallCost } from "@/lib/cost";
import { loadPolicy } from "@/lib/policy";
import type { AdmitInput, AdmitResult } from "@/lib/quota";
import type { EnforceDeps } from "./deps";
import { mayBeAllowed } from "./list-tools";
import { checkCall, enforceCall } from "./pipeline";
import type { CallFacts, Principal } from "./types";
import { AppError } from "@/lib/errors";

const POLICY = `
version: 1
defaults: { decision: deny, reason: "deny by default" }
rules:
  - name: read anything
    match: fs.read
    action: allow
    reason: reads are fine
  - name: dual control
    match: fs.write
    where: { path_not_under: [/sandbox/tmp] }
    action: approval
    approver_group: secops
    required_approvals: 2
    reason: write outside jail
  - name: jail writes
    match: fs.write
    action: allow
  - name: no exports
    match: users.export
    action: deny
    reason: user export forbidden
`;

const agent: Principal = { kind: "token", tenant: "t1", subject: "agent-42", roles: ["agent"] };

function approvalView(over: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id: "appr_1", tenant: "t1", subject: "agent-42", requested_by: "agent-42", tool: "fs.write", args: {}, args_digest: "d", summary: null,
    reason: "write outside jail", rule: "dual control", rule_hash: "h1", quorum_source: "rule", approver_group: "secops", required_approvals: 2, approvals: 0, remaining_approvals: 2,
    policy_version: 7, status: "pending", trace_id: null, context: null, created_at: "", requested_at: "", expires_at: "2026-11-21T11:00:00Z",
    resolved_at: null, executed_at: null, votes: [], agent: "agent-42", action: "fs.write", ...over,
  };
}

interface Harness {
  deps: EnforceDeps;
  events: string[];
  audits: AuditInput[];
  admits: AdmitInput[];
  executed: { tool: string; args: Record<string, unknown> }[];
}

type Within = (q: Queryer, approval: ApprovalView) => Promise<void>;
const noQueries: Queryer = async () => [];

/** A consume that spends `approval` as the service does: the caller's writes run in its transaction, and a throw there rolls the spending back. */
function spends(approval: ApprovalView, onSpent: () => void = () => {}) {
  return (async (input: { within?: Within }) => {
    await input.within?.(noQueries, approval);
    onSpent();
    return { ok: true, approval };
  }) as never;
}

function harness(over: Partial<EnforceDeps> = {}, approvals: Partial<ApprovalService> = {}): Harness {
  const compiled = loadPolicy(POLICY, { version: "7" });
  if (!compiled.ok) throw new Error("test policy does not compile");
  const h: Harness = { events: [], audits: [], admits: [], executed: [], deps: undefined as never };
  const service = {
    createFromPolicyDecision: async () => {
      h.events.push("approval.create");
      return { approval: approvalView(), created: true };
    },
    consume: async () => ({ ok: false, code: "not_approved", message: "not approved yet", status: "pending" }),
    get: async () => approvalView(),
    waitForResolution: async (id: string) => ({ id, status: "pending", timedOut: true }),
    ...approvals,
  } as unknown as ApprovalService;
  h.deps = {
    activePolicy: async () => ({ compiled: compiled.compiled, version: 7, hash: "h", signed: false, verified: false }),
    estimateCost: () => 0,
    admit: async (input): Promise<AdmitResult> => {
      h.admits.push(input);
      h.events.push("admit");
      return { ok: true, release: async () => void h.events.push("release") };
    },
    audit: async (input) => {
      h.audits.push(input);
      h.events.push(`audit:${input.kind}:${input.decision}`);
      return { seq: h.audits.length, hash: "a".repeat(64) };
    },
    auditInTransaction: async (_q, input) => {
      h.audits.push(input);
      h.events.push(`audit-in-tx:${input.kind}:${input.decision}`);
      const audit = { seq: h.audits.length, hash: "b".repeat(64) };
      return { audit, committed: () => void h.events.push(`committed:${audit.seq}`) };
    },
    approvals: async () => service,
    execute: async (tool, args): Promise<CallToolResult> => {
      h.executed.push({ tool, args });
      h.events.push("execute");
      return { content: [{ type: "text", text: "done" }] };
    },
    now: () => new Date("2026-11-21T10:00:00Z"),
    log: { error() {}, warn() {} },
    ...over,
  };
  return h;
}

const forward = { forward: true, syncWaitMs: 0, source: "mcp" as const };

describe("enforceCall", () => {
  test("allow: audited before it runs, forwarded, outcome recorded", async () => {
    const h = harness();
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(verdict).toMatchObject({ decision: "allow", rule: "read anything", policy_version: 7 });
    expect(result?.content).toEqual([{ type: "text", text: "done" }]);
    expect(h.events).toEqual(["admit", "audit:tool_decision:allow", "execute", "audit:tool_result:allow", "release"]);
    expect(h.audits[0]).toMatchObject({ tenant: "t1", subject: "agent-42", tool: "fs.read", traceId: verdict.trace_id, policyVersion: 7 });
  });

  test("the decision record is awaited as durable; the outcome record is deferred to ride with the next one", async () => {
    const asked: string[] = [];
    const h = harness();
    const audit = h.deps.audit;
    h.deps.audit = (input, opts) => {
      asked.push(`${input.kind}:${opts?.defer ? "deferred" : "urgent"}`);
      return audit(input, opts);
    };
    await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(asked).toEqual(["tool_decision:urgent", "tool_result:deferred"]);
  });

  test.each([
    ["a deny rule", { tool: "users.export", arguments: {} }, "no exports", /user export forbidden/],
    ["the default", { tool: "shell.exec", arguments: {} }, null, /deny by default/],
  ])("deny by %s: audited, never run, explained", async (_label, call, rule, reason) => {
    const h = harness();
    const { verdict, result } = await enforceCall(h.deps, agent, call, forward);
    expect(verdict.decision).toBe("deny");
    expect(verdict.rule).toBe(rule);
    expect(verdict.reason).toMatch(reason);
    expect(verdict.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result).toBeUndefined();
    expect(h.executed).toHaveLength(0);
    expect(h.audits.map((a) => a.decision)).toEqual(["deny"]);
  });

  test("audit store down: nothing is forwarded (the upstream sees zero calls)", async () => {
    const h = harness({
      audit: async () => {
        throw new Error("database unavailable");
      },
    });
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(verdict).toMatchObject({ decision: "deny", error: { code: "audit_unavailable" } });
    expect(verdict.reason).toMatch(/could not be recorded.*nothing was forwarded/);
    expect(result).toBeUndefined();
    expect(h.executed).toHaveLength(0);
    expect(h.events).toContain("release");
  });

  test("over a limit: denied naming the limit and when it resets; no budget spent", async () => {
    const h = harness({
      admit: async (input) => {
        h.admits.push(input);
        return { ok: false, limit: "requests_per_minute", scope: "tenant", tool: input.tool, limit_value: 5, current: 5, resets_at: "2026-11-21T10:01:00.000Z", message: "5 requests per minute for tenant t1" };
      },
    });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(verdict).toMatchObject({ decision: "deny", rule: "limit:requests_per_minute", limit: { limit_value: 5 } });
    expect(verdict.reason).toMatch(/resets at 2026-11-21T10:01:00.000Z/);
    expect(h.executed).toHaveLength(0);
    expect(h.audits[0]).toMatchObject({ decision: "deny", rule: "limit:requests_per_minute" });
  });

  test("a denied call spends no budget but counts toward the rate", async () => {
    const h = harness({ estimateCost: () => 12 });
    await enforceCall(h.deps, agent, { tool: "users.export", arguments: {} }, forward);
    await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(h.admits.map((a) => a.costUsd)).toEqual([0, 12]);
  });

  test("quota store unreachable: denied (fail closed)", async () => {
    const h = harness({
      admit: async () => {
        throw new Error("redis timeout");
      },
    });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(verdict).toMatchObject({ decision: "deny", error: { code: "quota_unavailable" } });
    expect(h.executed).toHaveLength(0);
  });

  test.each([
    ["no active policy", async () => null, /has no active policy/],
    [
      "a policy that cannot load",
      async () => {
        throw new Error("version 9 does not compile");
      },
      /cannot be loaded: version 9 does not compile/,
    ],
  ])("%s: denied", async (_label, activePolicy, reason) => {
    const h = harness({ activePolicy });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: {} }, forward);
    expect(verdict.decision).toBe("deny");
    expect(verdict.reason).toMatch(reason);
    expect(h.executed).toHaveLength(0);
  });

  test("approval: an approval bound to the call is created and audited; nothing runs", async () => {
    const h = harness();
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/hosts", content: "x" } }, forward);
    expect(verdict).toMatchObject({ decision: "approval", rule: "dual control", approval: { id: "appr_1", required_approvals: 2 } });
    expect(verdict.approval?.retry).toMatch(/_meta.approval_id/);
    expect(result).toBeUndefined();
    expect(h.events).toEqual(["admit", "approval.create", "audit:tool_decision:approval", "release"]);
    expect(h.audits[0].approvalId).toBe("appr_1");
  });

  test("a retry with an approved approval runs once", async () => {
    let consumed = 0;
    const h = harness({}, {
      consume: (async (input: { within?: Within }) => {
        consumed += 1;
        if (consumed > 1) return { ok: false, code: "already_executed", message: "this approval has already been used", status: "executed" };
        return (spends(approvalView({ status: "executed", votes: [{ approver: "bob", decision: "approved" }, { approver: "carol", decision: "approved" }] as never })) as (i: unknown) => Promise<unknown>)(input);
      }) as never,
    });
    const call = { tool: "fs.write", arguments: { path: "/etc/hosts", content: "x" }, approvalId: "appr_1" };
    const first = await enforceCall(h.deps, agent, call, forward);
    expect(first.verdict.decision).toBe("allow");
    expect(first.verdict.reason).toMatch(/approved by bob, carol/);
    const second = await enforceCall(h.deps, agent, call, forward);
    expect(second.verdict).toMatchObject({ decision: "deny", error: { code: "approval_already_executed" } });
    expect(h.executed).toHaveLength(1);
  });

  test("a retry's allow record is written in the spending's transaction, once, before anything runs", async () => {
    const h = harness({}, { consume: spends(approvalView({ status: "executed", votes: [{ approver: "bob", decision: "approved" }] as never })) });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_1" }, forward);
    expect(verdict).toMatchObject({ decision: "allow", audit: { seq: 1, hash: "b".repeat(64) } });
    expect(h.events.filter((e) => e.startsWith("audit") || e.startsWith("committed") || e === "execute")).toEqual(["audit-in-tx:tool_decision:allow", "committed:1", "execute", "audit:tool_result:allow"]);
    expect(h.audits[0]).toMatchObject({ kind: "tool_decision", decision: "allow", approvalId: "appr_1", subject: agent.subject, tool: "fs.write" });
  });

  test("a record that cannot be written in the spending's transaction rolls it back: denied, nothing runs, the approval stays usable", async () => {
    let spent = 0;
    let failing = true;
    const h = harness(
      {
        auditInTransaction: async () => {
          if (failing) throw new Error("lock timeout on the chain head");
          return { audit: { seq: 1, hash: "c".repeat(64) }, committed: () => {} };
        },
      },
      { consume: spends(approvalView({ status: "approved", votes: [{ approver: "bob", decision: "approved" }] as never }), () => (spent += 1)) },
    );
    const call = { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_1" };
    const first = await enforceCall(h.deps, agent, call, forward);
    expect(first.verdict).toMatchObject({ decision: "deny", error: { code: "audit_unavailable" } });
    expect(first.verdict.reason).toMatch(/approval appr_1 was not spent/);
    expect(spent).toBe(0);
    expect(h.executed).toHaveLength(0);
    failing = false;
    const second = await enforceCall(h.deps, agent, call, forward);
    expect(second.verdict.decision).toBe("allow");
    expect(spent).toBe(1);
    expect(h.executed).toHaveLength(1);
  });

  test("a retry hands the consume step the gate of the rule deciding now: its identity, quorum and group", async () => {
    const gates: unknown[] = [];
    const creations: unknown[] = [];
    const h = harness({}, {
      createFromPolicyDecision: (async (c: unknown) => {
        creations.push(c);
        return { approval: approvalView(), created: true };
      }) as never,
      consume: (async (input: { gate: unknown }) => {
        gates.push(input.gate);
        return { ok: false, code: "rule_mismatch", message: "granted under another rule", status: "approved" };
      }) as never,
    });
    const compiled = loadPolicy(POLICY, { version: "7" });
    if (!compiled.ok) throw new Error("policy");
    const dual = compiled.compiled.rules.find((r) => r.name === "dual control")!;
    await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" } }, forward);
    expect(creations[0]).toMatchObject({ decision: { rule: "dual control", rule_hash: dual.identity, required_approvals: 2, approver_group: "secops" } });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_hand" }, forward);
    expect(gates).toEqual([{ ruleHash: dual.identity, requiredApprovals: 2, approverGroup: "secops" }]);
    expect(verdict).toMatchObject({ decision: "deny", error: { code: "approval_rule_mismatch" } });
    expect(h.executed).toHaveLength(0);
  });

  test("a retry blocked by a limit keeps its approval: nothing is consumed", async () => {
    let consumed = 0;
    const h = harness(
      {
        admit: async (input) => ({ ok: false, limit: "daily_budget_usd", scope: "tenant", tool: input.tool, limit_value: 10, current: 10, resets_at: "2026-11-22T00:00:00.000Z", message: "daily budget of $10.00 spent; resets at 2026-11-22T00:00:00.000Z" }),
      },
      { consume: spends(approvalView(), () => (consumed += 1)) },
    );
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_1" }, forward);
    expect(verdict).toMatchObject({ decision: "deny", rule: "limit:daily_budget_usd" });
    expect(verdict.reason).toBe("daily budget of $10.00 spent; resets at 2026-11-22T00:00:00.000Z");
    expect(consumed).toBe(0);
    expect(h.executed).toHaveLength(0);
  });

  test("a retry while still pending stays pending and does not create another approval", async () => {
    const h = harness();
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_1" }, forward);
    expect(verdict.decision).toBe("approval");
    expect(verdict.reason).toMatch(/still pending/);
    expect(h.events).not.toContain("approval.create");
    expect(h.executed).toHaveLength(0);
  });

  test("sync wait: an approval landing during the wait runs the call", async () => {
    const h = harness({}, {
      waitForResolution: (async (id: string) => ({ id, status: "approved", timedOut: false })) as never,
      consume: spends(approvalView({ status: "executed", votes: [{ approver: "bob", decision: "approved" }] as never })),
    });
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" } }, { ...forward, syncWaitMs: 20_000 });
    expect(verdict.decision).toBe("allow");
    expect(result).toBeDefined();
    expect(h.audits.map((a) => `${a.kind}:${a.decision}`)).toEqual(["tool_decision:approval", "tool_decision:allow", "tool_result:allow"]);
    // The allow record was written with the spending, not by the audit step after it.
    expect(h.events.filter((e) => e.startsWith("audit") || e.startsWith("committed") || e === "execute")).toEqual(["audit:tool_decision:approval", "audit-in-tx:tool_decision:allow", "committed:2", "execute", "audit:tool_result:allow"]);
    expect(h.audits[1].data).toMatchObject({ after_wait: true });
  });

  test("sync wait: a rejection denies", async () => {
    const h = harness({}, { waitForResolution: (async (id: string) => ({ id, status: "rejected", timedOut: false })) as never });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" } }, { ...forward, syncWaitMs: 20_000 });
    expect(verdict).toMatchObject({ decision: "deny", reason: "approval appr_1 was rejected" });
    expect(h.executed).toHaveLength(0);
  });

  describe("asking for the approval in the agent's client (lib/mcp/relay)", () => {
    function recordingRelay(log: string[]) {
      return {
        notify: () => {},
        request: async () => ({}),
        approvalPending: async (a: { id: string; required_approvals: number }, tool: string) => void log.push(`asked:${a.id}:${a.required_approvals}:${tool}`),
        approvalSettled: (id: string) => void log.push(`settled:${id}`),
      };
    }
    test.each([
      ["without a sync wait: asked, then the pending answer", 0, { status: "pending" }, ["asked:appr_1:2:fs.write"], "approval"],
      ["during a sync wait that ends approved: asked, settled, then run", 20_000, { status: "approved" }, ["asked:appr_1:2:fs.write", "settled:appr_1"], "allow"],
      ["during a sync wait that ends rejected: asked, settled, denied", 20_000, { status: "rejected" }, ["asked:appr_1:2:fs.write", "settled:appr_1"], "deny"],
    ])("%s", async (_label, syncWaitMs, waited, want, decision) => {
      const log: string[] = [];
      const h = harness({}, {
        waitForResolution: (async (id: string) => ({ id, ...waited, timedOut: false })) as never,
        consume: spends(approvalView({ status: "executed", votes: [{ approver: "bob", decision: "approved" }] as never })),
      });
      const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/x" } }, { ...forward, syncWaitMs, relay: recordingRelay(log) });
      expect(log).toEqual(want);
      expect(verdict.decision).toBe(decision);
    });

    test("a retry that spends the approval settles the question; one that cannot does not", async () => {
      const log: string[] = [];
      const h = harness({}, { consume: spends(approvalView({ status: "executed", votes: [{ approver: "bob", decision: "approved" }] as never })) });
      const call = { tool: "fs.write", arguments: { path: "/etc/x" }, approvalId: "appr_1" };
      expect((await enforceCall(h.deps, agent, call, { ...forward, relay: recordingRelay(log) })).verdict.decision).toBe("allow");
      expect(log).toEqual(["settled:appr_1"]);
      const still: string[] = [];
      const pending = harness({}, { consume: (async () => ({ ok: false, code: "pending", message: "waiting for 1 more approval", status: "pending" })) as never });
      await enforceCall(pending.deps, agent, call, { ...forward, relay: recordingRelay(still) });
      expect(still).toEqual([]);
    });
  });

  test("an upstream failure is a tool error result, recorded with its outcome", async () => {
    const h = harness({
      execute: async () => {
        throw Object.assign(new Error("upstream fs is not running"), { code: "upstream_unavailable" });
      },
    });
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, forward);
    expect(result?.isError).toBe(true);
    expect(JSON.stringify(result?.content)).toMatch(new RegExp(`upstream fs is not running.*${verdict.trace_id}`));
    expect(h.audits[1]).toMatchObject({ kind: "tool_result", upstreamOutcome: "upstream_unavailable" });
  });

  test("guard/enforce mode records but never forwards", async () => {
    const h = harness();
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { path: "/x" } }, { ...forward, forward: false, source: "guard" });
    expect(verdict.decision).toBe("allow");
    expect(result).toBeUndefined();
    expect(h.executed).toHaveLength(0);
    expect(h.audits).toHaveLength(1);
  });
});

describe("checkCall", () => {
  test("decides with a trace and records nothing", async () => {
    const h = harness();
    const v = await checkCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/sandbox/tmp/../../etc/passwd" } });
    expect(v).toMatchObject({ decision: "approval", rule: "dual control" });
    expect(v.trace?.length).toBeGreaterThan(0);
    expect(h.audits).toHaveLength(0);
    expect(h.admits).toHaveLength(0);
  });
});

describe("list-time policy", () => {
  const compiled = loadPolicy(POLICY);
  if (!compiled.ok) throw new Error("no");
  test.each([
    ["fs.read", true],
    ["fs.write", true],
    ["users.export", false],
    ["shell.exec", false],
  ])("%s visible: %s", (tool, visible) => {
    expect(mayBeAllowed(compiled.compiled, tool)).toBe(visible);
  });

  test("a deny rule whose unknown_cost lets calls through keeps its tool visible", () => {
    const c = loadPolicy(`version: 1\nrules:\n  - { name: a, match: lab.run, action: deny, unknown_cost: approval }\n  - { name: b, match: lab.stop, action: deny, unknown_cost: deny }\n`);
    if (!c.ok) throw new Error("no");
    expect(mayBeAllowed(c.compiled, "lab.run")).toBe(true);
    expect(mayBeAllowed(c.compiled, "lab.stop")).toBe(false);
  });
});

describe("cost and budgets (issue 9 item 4)", () => {
  const COST = `version: 1
defaults: { decision: deny }
rules:
  - { name: costly, match: "cloud.*", where: { estimated_cost_usd_over: 10 }, action: approval, approver_group: finops }
  - { name: cloud, match: "cloud.*", action: allow }
`;
  const catalog: EnforceDeps["estimateCost"] = (tool, args) => {
    const c = estimateCallCost(tool, args);
    return { usd: c.estimated_cost_usd, known: c.known, ...(c.note ? { note: c.note } : {}) };
  };
  function costHarness(yaml: string, over: Partial<EnforceDeps> = {}, approvals: Partial<ApprovalService> = {}) {
    const c = loadPolicy(yaml, { version: "8" });
    if (!c.ok) throw new Error(JSON.stringify(c.errors));
    return harness({ activePolicy: async () => ({ compiled: c.compiled, version: 8, hash: "h", signed: false, verified: false }), estimateCost: catalog, ...over }, approvals);
  }

  test("a stated $0 cannot talk a catalog-priced $30 instance under the cost rule", async () => {
    const h = costHarness(COST);
    const { verdict } = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "ec2.run_instances", estimated_cost_usd: 0 } }, forward);
    expect(verdict).toMatchObject({ decision: "approval", rule: "costly", estimated_cost_usd: 30.368, cost_known: true });
    expect(h.executed).toHaveLength(0);
  });

  test("a cheap known call spends its catalog price", async () => {
    const h = costHarness(COST);
    const { verdict } = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "ec2.allocate_address" } }, forward);
    expect(verdict).toMatchObject({ decision: "allow", estimated_cost_usd: 3.65, cost_known: true });
    expect(h.admits[0]).toMatchObject({ costUsd: 3.65, costKnown: true, allowUnknownCost: false });
    expect(h.audits[0].data).toMatchObject({ estimated_cost_usd: 3.65, cost_known: true });
  });

  test("an unknown action counts as over; a retry carrying an approval tells admit its cost is unknown", async () => {
    const h = costHarness(COST, {}, { consume: spends(approvalView({ status: "approved" })) });
    const first = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" } }, forward);
    expect(first.verdict).toMatchObject({ decision: "approval", rule: "costly", estimated_cost_usd: 0, cost_known: false });
    expect(first.verdict.trace!.at(-1)).toMatchObject({ kind: "rule", name: "costly", matched: true });
    // The first call will not run: admit meters its rate only.
    expect(h.admits[0]).toMatchObject({ costUsd: 0, costKnown: true });
    await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" }, approvalId: "appr_1" }, forward);
    expect(h.admits[1]).toMatchObject({ costUsd: 0, costKnown: false, allowUnknownCost: false });
  });

  test("a budget refusing the unknown cost denies the call, with the limit in the verdict", async () => {
    const h = costHarness(COST.replace("{ decision: deny }", "{ decision: deny, unknown_cost: allow }"), {
      admit: async (input) => {
        h.admits.push(input);
        return input.costKnown === false && !input.allowUnknownCost
          ? { ok: false, limit: "budget_unknown_cost", scope: "tenant", tool: input.tool, limit_value: 5, current: 0, resets_at: null, message: "unknown cost" }
          : { ok: true, release: async () => {} };
      },
    });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" } }, forward);
    // defaults.unknown_cost: allow lets the cost rule pass the call and tells the budget to admit it at $0.
    expect(verdict).toMatchObject({ decision: "allow", rule: "costly", cost_known: false });
    expect(h.admits[0]).toMatchObject({ costUsd: 0, costKnown: false, allowUnknownCost: true });
    expect(h.executed).toHaveLength(1);
    // A rule's own unknown_cost: allow passes the policy, but only defaults.unknown_cost: allow admits at $0.
    const strict = costHarness(`version: 1\nrules:\n  - { name: cloud, match: "cloud.*", action: allow, unknown_cost: allow }\n`, { admit: h.deps.admit });
    const refused = await enforceCall(strict.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "quantum.entangle" } }, forward);
    expect(refused.verdict).toMatchObject({ decision: "deny", rule: "limit:budget_unknown_cost", limit: { limit: "budget_unknown_cost" } });
    expect(strict.executed).toHaveLength(0);
  });

  test("an estimator that throws makes the cost unknown, never cheaper", async () => {
    const h = costHarness(COST, { estimateCost: () => { throw new Error("catalog unreadable"); } });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: { provider: "aws", action: "ec2.allocate_address" } }, forward);
    expect(verdict).toMatchObject({ decision: "approval", rule: "costly", cost_known: false });
    expect(verdict.trace!.at(-1)).toMatchObject({ conditions: [{ actual: "unknown (catalog unreadable): counted as over" }] });
  });

  test.each([
    ["a negative stated cost", { provider: "aws", action: "ec2.allocate_address", estimated_cost_usd: -5 }, /must not be negative, got -5/],
    ["a stated cost too large to be finite", { provider: "aws", action: "ec2.allocate_address", estimated_cost_usd: "9".repeat(400) }, /must be a finite number/],
    ["a negative amount on any tool", { amount_cents: -100 }, /`amount_cents` must not be negative/],
  ])("%s is denied by the policy and spends nothing", async (_label, args, reason) => {
    const h = costHarness(COST);
    const { verdict } = await enforceCall(h.deps, agent, { tool: "cloud.ops", arguments: args }, forward);
    expect(verdict).toMatchObject({ decision: "deny", rule: null, error: { code: "policy_error" } });
    expect(verdict.reason).toMatch(reason);
    expect(h.admits[0]).toMatchObject({ costUsd: 0, costKnown: true });
    expect(h.executed).toHaveLength(0);
  });
});

describe("the upstreams' fact maps (issue 9 item 10)", () => {
  const JAIL = `version: 1
defaults: { decision: deny }
rules:
  - { name: outside, match: fs.move, where: { path_not_under: [/sandbox/tmp] }, action: approval, approver_group: secops }
  - { name: inside, match: fs.move, action: allow }
`;
  const withFacts = (factMaps: EnforceDeps["factMaps"]) => {
    const c = loadPolicy(JAIL, { version: "9" });
    if (!c.ok) throw new Error("bad policy");
    return harness({ activePolicy: async () => ({ compiled: c.compiled, version: 9, hash: "h", signed: false, verified: false }), factMaps });
  };
  const move = { tool: "fs.move", arguments: { source: "/sandbox/tmp/a", destination: "/etc/cron.d/x" } };

  test("an upstream mapping makes its arguments count, though the tenant's policy names none", async () => {
    const maps = { "fs.move": { path: ["source", "destination"] } };
    const h = withFacts(() => maps);
    expect((await enforceCall(h.deps, agent, move, forward)).verdict).toMatchObject({ decision: "approval", rule: "outside" });
    expect(h.executed).toHaveLength(0);
    // Without the mapping, neither argument is a default path key: the jail rule could not see them.
    const blind = withFacts(undefined);
    expect((await enforceCall(blind.deps, agent, move, forward)).verdict).toMatchObject({ decision: "allow", rule: "inside" });
  });

  test("unreadable mappings fail closed", async () => {
    const h = withFacts(() => {
      throw new Error("registry not loaded");
    });
    const { verdict } = await enforceCall(h.deps, agent, move, forward);
    expect(verdict).toMatchObject({ decision: "deny", reason: "the upstreams' fact mappings cannot be read: registry not loaded" });
    expect(h.executed).toHaveLength(0);
  });
});

/** `{"a":{"a":…}}` nested `levels` deep (built iteratively: no recursion in the test either). */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe("argument bounds (before hashing, evaluation and audit)", () => {
  const limits = { maxDepth: 32, maxBytes: 64 * 1024, maxKeys: 100, maxItems: 1000 };

  test.each([
    ["nested 33 levels", nested(33), "depth"],
    ["nested 1,000,000 levels", nested(1_000_000), "depth"],
    ["larger than maxBytes", { content: "x".repeat(70 * 1024) }, "bytes"],
    ["an object with 101 keys", Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])), "keys"],
    ["an array of 1001 items", { list: Array.from({ length: 1001 }, () => 0) }, "items"],
  ])("%s: refused with 400 arguments_too_large, audited without the arguments, nothing else happens", async (_label, args, limit) => {
    const h = harness({ argumentLimits: limits });
    const err = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: args }, forward).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: "arguments_too_large", details: { limit, audited: true } });
    expect(err.message).toMatch(/send smaller arguments/);
    expect(h.events).toEqual(["audit:tool_decision:deny"]);
    const record = h.audits[0];
    expect(record.args).toBeUndefined();
    expect(record.data).toMatchObject({ refused: "arguments_too_large", limit, max: expect.any(Number), actual: expect.any(Number), path: expect.stringMatching(/^arguments/) });
    // The summary is small whatever the arguments' size.
    expect(JSON.stringify(record).length).toBeLessThan(2000);
    expect(record.traceId).toBe(err.details.trace_id);
  });

  test("a tool name longer than 256 characters: refused the same way, recorded shortened", async () => {
    const h = harness({ argumentLimits: limits });
    const err = await enforceCall(h.deps, agent, { tool: `fs.${"w".repeat(100_000)}`, arguments: {} }, forward).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: "arguments_too_large", details: { limit: "name", max: 256, actual: 100_003, path: "tool" } });
    expect(err.message).toMatch(/tool name is 100003 characters long, more than 256/);
    expect(h.audits[0].tool).toHaveLength(257);
    expect(h.executed).toHaveLength(0);
  });

  test("meta is bounded like arguments", async () => {
    const h = harness({ argumentLimits: limits });
    const err = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: {}, meta: nested(40) }, forward).catch((e) => e);
    expect(err).toMatchObject({ code: "arguments_too_large", details: { limit: "depth", path: expect.stringMatching(/^meta\.a\.a/) } });
    expect(h.executed).toHaveLength(0);
  });

  test("when the audit log cannot take the refusal, the call is refused all the same", async () => {
    const h = harness({
      argumentLimits: limits,
      audit: async () => {
        throw new Error("audit down");
      },
    });
    const err = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: nested(50) }, forward).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: "arguments_too_large", details: { audited: false } });
    expect(h.executed).toHaveLength(0);
    expect(h.admits).toHaveLength(0);
  });

  test("guard/check refuses them too (nothing recorded, as for every check)", async () => {
    const h = harness({ argumentLimits: limits });
    await expect(checkCall(h.deps, agent, { tool: "fs.read", arguments: nested(100) })).rejects.toMatchObject({ status: 400, code: "arguments_too_large" });
    expect(h.audits).toHaveLength(0);
  });

  test("arguments at the limits run", async () => {
    const h = harness({ argumentLimits: limits });
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.read", arguments: { deep: nested(31), list: Array.from({ length: 1000 }, () => 1) } }, forward);
    expect(verdict.decision).toBe("allow");
    expect(h.executed).toHaveLength(1);
  });
});

describe("approval requests that cannot be stored", () => {
  test("a read-only database: denied with approvals_unavailable, audited, never run", async () => {
    const h = harness(
      {},
      {
        createFromPolicyDecision: async () => {
          throw new Error("\nInvalid `prisma.approval.create()` invocation in\n/srv/app/lib/db/approvals.ts:42:7\n\ncannot execute INSERT in a read-only transaction");
        },
      },
    );
    const { verdict, result } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/passwd", content: "x" } }, forward);
    expect(verdict).toMatchObject({ decision: "deny", rule: "dual control", error: { code: "approvals_unavailable" } });
    expect(verdict.reason).toMatch(/could not be stored \(cannot execute INSERT in a read-only transaction\)/);
    // No host path in the answer.
    expect(JSON.stringify(verdict)).not.toMatch(/\/srv\/app/);
    expect(result).toBeUndefined();
    expect(h.executed).toHaveLength(0);
    expect(h.audits[0]).toMatchObject({ kind: "tool_decision", decision: "deny", approvalId: null });
    expect(h.events).toEqual(["admit", "audit:tool_decision:deny", "release"]);
  });

  test("…and when the audit log is down too, still a deny (audit_unavailable), never a 500", async () => {
    const h = harness(
      {
        audit: async () => {
          throw new Error("read-only");
        },
      },
      {
        createFromPolicyDecision: async () => {
          throw new Error("read-only");
        },
      },
    );
    const { verdict } = await enforceCall(h.deps, agent, { tool: "fs.write", arguments: { path: "/etc/passwd" } }, forward);
    expect(verdict).toMatchObject({ decision: "deny", error: { code: "audit_unavailable" } });
    expect(h.executed).toHaveLength(0);
  });
});

describe("the facts step (issue 16: ops targets)", () => {
  const OPS = `version: 1
defaults: { decision: deny, reason: "deny by default" }
rules:
  - { name: break-glass, match: "ops.*", where: { roles_any: [emergency] }, action: allow }
  - { name: prod window, match: "ops.*", where: { target_roles: [production], args: { target.maintenance_window: { equals: outside } } }, action: deny, reason: outside the window }
  - { name: prod approval, match: "ops.*", where: { target_roles: [production] }, action: approval, approver_group: sre, required_approvals: 2 }
  - { name: dev open, match: "ops.*", where: { target_roles: [development] }, action: allow }
`;
  const restart = { tool: "ops.service_restart", arguments: { target_id: "web-1", service_name: "nginx" } };
  function withCallFacts(facts: (call: { tool: string; arguments: Record<string, unknown> }) => Promise<CallFacts | null>) {
    const c = loadPolicy(OPS, { version: "11" });
    if (!c.ok) throw new Error("bad policy");
    const runs: string[] = [];
    const h = harness({ activePolicy: async () => ({ compiled: c.compiled, version: 11, hash: "h", signed: false, verified: false }), callFacts: async (_p, call) => facts(call) });
    return { h, runs };
  }
  const factsOf = (role: string, window: string, runs: string[], roles?: string[]): CallFacts => ({
    policy: { arguments: { ...restart.arguments, target: { role, maintenance_window: window } }, targetRole: role, ...(roles ? { roles } : {}) },
    audit: { ops: { target: { id: "web-1", role } } },
    run: async () => {
      runs.push("run");
      return { result: { content: [{ type: "text", text: "restarted" }] }, outcome: "succeeded", audit: { ops_outcome: { exit_code: 0 } } };
    },
  });

  test.each([
    ["development target", "development", "inside", undefined, "allow", "dev open"],
    ["production target inside its window", "production", "inside", undefined, "approval", "prod approval"],
    ["production target outside its window", "production", "outside", undefined, "deny", "prod window"],
    ["production target with a break-glass role", "production", "outside", ["agent", "emergency"], "allow", "break-glass"],
  ])("%s: the policy decides on the inventory's role and window", async (_label, role, window, roles, decision, rule) => {
    const runs: string[] = [];
    const { h } = withCallFacts(async () => factsOf(role, window, runs, roles));
    const { verdict } = await enforceCall(h.deps, agent, restart, forward);
    expect(verdict).toMatchObject({ decision, rule });
    expect(runs).toHaveLength(decision === "allow" ? 1 : 0);
    expect(h.executed).toHaveLength(0);
    expect(h.audits[0].data).toMatchObject({ facts: { ops: { target: { id: "web-1", role } } } });
  });

  test("an allowed call runs the prepared call (not the dispatch), once, and its outcome is recorded", async () => {
    const runs: string[] = [];
    const { h } = withCallFacts(async () => factsOf("development", "none", runs));
    const { result } = await enforceCall(h.deps, agent, restart, forward);
    expect(result?.content).toEqual([{ type: "text", text: "restarted" }]);
    expect(runs).toEqual(["run"]);
    await Promise.resolve();
    expect(h.audits.map((a) => a.kind)).toEqual(["tool_decision", "tool_result"]);
    expect(h.audits[1]).toMatchObject({ upstreamOutcome: "succeeded", data: { ops_outcome: { exit_code: 0 } } });
  });

  test.each([
    ["an AppError (invalid parameters)", new AppError(400, "invalid_parameters", "service_name: must match ^[a-zA-Z0-9]"), "invalid_parameters"],
    ["an unexpected failure", new Error("inventory store exploded"), "facts_unavailable"],
  ])("a facts step that throws %s refuses the call before the policy: audited, nothing admitted or run", async (_label, err, code) => {
    const { h } = withCallFacts(async () => {
      throw err;
    });
    const { verdict, result } = await enforceCall(h.deps, agent, restart, forward);
    expect(verdict).toMatchObject({ decision: "deny", error: { code } });
    expect(result).toBeUndefined();
    expect(h.admits).toHaveLength(0);
    expect(h.executed).toHaveLength(0);
    expect(h.audits).toHaveLength(1);
    expect(h.audits[0]).toMatchObject({ decision: "deny", data: { refused: code } });
  });

  test("guard/check decides with the same facts and records nothing", async () => {
    const runs: string[] = [];
    const { h } = withCallFacts(async () => factsOf("production", "outside", runs));
    const v = await checkCall(h.deps, agent, restart);
    expect(v).toMatchObject({ decision: "deny", rule: "prod window" });
    expect(h.audits).toHaveLength(0);
    expect(runs).toHaveLength(0);
  });
});
