import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type ApprovalState,
  approvalsCount,
  castVote,
  effectiveStatus,
  execute,
  expire,
  type Membership,
  type Transition,
  voteEligibility,
} from "./state-machine";

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const RULE = "r".repeat(64);
const TTL = 3_600_000;

function pending(over: Partial<ApprovalState> = {}): ApprovalState {
  return {
    status: "pending",
    tenant: "demo-tenant",
    subject: "agent-42",
    tool: "fs.write",
    argsDigest: "d1",
    requiredApprovals: 2,
    approverGroup: "secops",
    ruleHash: RULE,
    expiresAt: T0 + TTL,
    resolvedAt: null,
    executedAt: null,
    votes: [],
    ...over,
  };
}

const secops: Membership = { roles: ["approver"], groups: ["secops"] };
const binding = { subject: "agent-42", tool: "fs.write", argsDigest: "d1" };
const gate2 = { ruleHash: RULE, requiredApprovals: 2, approverGroup: "secops" };

function ok(t: Transition): ApprovalState {
  if (!t.ok) throw new Error(`refused: ${t.code} ${t.message}`);
  return t.state;
}

describe("approval state machine", () => {
  test("two distinct approvals approve a 2-of-N request; the first leaves it pending", () => {
    const s1 = ok(castVote(pending(), { approver: "alice", decision: "approved", membership: secops }, T0 + 1));
    expect(s1.status).toBe("pending");
    const s2 = ok(castVote(s1, { approver: "bob", decision: "approved", membership: secops }, T0 + 2));
    expect(s2.status).toBe("approved");
    expect(s2.resolvedAt).toBe(T0 + 2);
  });

  test("deny precedence: one deny rejects at once, even after an approval", () => {
    const s1 = ok(castVote(pending(), { approver: "alice", decision: "approved", membership: secops }, T0 + 1));
    const s2 = ok(castVote(s1, { approver: "bob", decision: "rejected", membership: secops }, T0 + 2));
    expect(s2.status).toBe("rejected");
  });

  test("the same approver counts once", () => {
    const s1 = ok(castVote(pending(), { approver: "alice", decision: "approved", membership: secops }, T0 + 1));
    const r = castVote(s1, { approver: "alice", decision: "approved", membership: secops }, T0 + 2);
    expect(r).toMatchObject({ ok: false, code: "already_voted" });
    expect(approvalsCount(r.state)).toBe(1);
  });

  test("the requester can never decide its own request", () => {
    const admin: Membership = { roles: ["admin", "approver"], groups: ["secops"] };
    expect(castVote(pending(), { approver: "agent-42", decision: "approved", membership: admin }, T0)).toMatchObject({ ok: false, code: "self_approval" });
  });

  test("only members with the approver role in the rule's group may vote; a null group means any approver", () => {
    expect(castVote(pending(), { approver: "x", decision: "approved", membership: null }, T0)).toMatchObject({ ok: false, code: "not_eligible" });
    expect(castVote(pending(), { approver: "x", decision: "approved", membership: { roles: ["admin"], groups: ["secops"] } }, T0)).toMatchObject({ ok: false, code: "not_eligible" });
    expect(castVote(pending(), { approver: "x", decision: "approved", membership: { roles: ["approver"], groups: ["finance"] } }, T0)).toMatchObject({ ok: false, code: "not_eligible" });
    const open = pending({ approverGroup: null, requiredApprovals: 1 });
    expect(ok(castVote(open, { approver: "x", decision: "approved", membership: { roles: ["approver"], groups: [] } }, T0)).status).toBe("approved");
  });

  test("expiry: overdue pending is expired, votes after it are refused and record the expiry", () => {
    const s = pending();
    expect(effectiveStatus(s, T0 + TTL - 1)).toBe("pending");
    expect(effectiveStatus(s, T0 + TTL)).toBe("expired");
    const r = castVote(s, { approver: "alice", decision: "approved", membership: secops }, T0 + TTL);
    expect(r).toMatchObject({ ok: false, code: "expired" });
    expect(r.state.status).toBe("expired");
    expect(expire(s, T0 + TTL)).toMatchObject({ ok: true, resolved: true });
    expect(expire(s, T0)).toMatchObject({ ok: true, resolved: false });
  });

  test("final states accept nothing more", () => {
    for (const status of ["approved", "rejected", "expired", "executed"] as const) {
      const r = castVote(pending({ status }), { approver: "carol", decision: "approved", membership: secops }, T0);
      expect(r.ok).toBe(false);
      expect(r.state.status).toBe(status);
    }
  });

  test("execution: only the exact call, only approved and unexpired, only once", () => {
    const members = new Map<string, Membership>([["alice", secops], ["bob", secops]]);
    const approved = { ...pending({ status: "approved", resolvedAt: T0 }), votes: [{ approver: "alice", decision: "approved" as const, at: T0 }, { approver: "bob", decision: "approved" as const, at: T0 }] };
    expect(execute(approved, { ...binding, argsDigest: "other" }, gate2, members, T0)).toMatchObject({ ok: false, code: "binding_mismatch", details: { fields: ["argsDigest"] } });
    expect(execute(approved, { ...binding, tool: "fs.read", subject: "agent-7" }, gate2, members, T0)).toMatchObject({ ok: false, code: "binding_mismatch", details: { fields: ["subject", "tool"] } });
    expect(execute(pending(), binding, gate2, members, T0)).toMatchObject({ ok: false, code: "not_approved" });
    expect(execute(approved, binding, gate2, members, T0 + TTL)).toMatchObject({ ok: false, code: "expired" });
    const done = ok(execute(approved, binding, gate2, members, T0 + 5));
    expect(done).toMatchObject({ status: "executed", executedAt: T0 + 5 });
    expect(execute(done, binding, gate2, members, T0 + 6)).toMatchObject({ ok: false, code: "already_executed" });
  });

  test.each([
    ["no rule identity (filed by hand)", { ruleHash: null }, gate2, "rule_mismatch"],
    ["another rule's identity", { ruleHash: "x".repeat(64) }, gate2, "rule_mismatch"],
    ["fewer approvals than the gate needs", {}, { ...gate2, requiredApprovals: 3 }, "quorum_not_met"],
    ["votes outside the gate's group", {}, { ...gate2, approverGroup: "finance" }, "quorum_not_met"],
  ] as const)("execution refuses an approval with %s", (_label, over, gate, code) => {
    const members = new Map<string, Membership>([["alice", secops], ["bob", secops]]);
    const approved = { ...pending({ status: "approved", resolvedAt: T0, ...over }), votes: [{ approver: "alice", decision: "approved" as const, at: T0 }, { approver: "bob", decision: "approved" as const, at: T0 }] };
    expect(execute(approved, binding, gate, members, T0 + 1)).toMatchObject({ ok: false, code });
  });

  test("whoever filed a request cannot vote on it", () => {
    expect(castVote(pending({ requestedBy: "alice" }), { approver: "alice", decision: "approved", membership: secops }, T0)).toMatchObject({ ok: false, code: "self_approval" });
  });

  test("eligibility explains itself for the inbox", () => {
    const e = voteEligibility(pending(), "viewer", { roles: ["viewer"], groups: [] }, T0);
    expect(e).toMatchObject({ ok: false, code: "not_eligible" });
    expect(voteEligibility(pending(), "alice", secops, T0)).toEqual({ ok: true });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the state machine agrees with a deliberately naive reference model over random
// sequences of votes, denies, duplicates, self-votes, ineligible votes, clock jumps and executions.

const PEOPLE: Record<string, Membership | null> = {
  "agent-42": { roles: ["approver", "admin"], groups: ["secops"] }, // the requester, fully privileged: still refused
  alice: { roles: ["approver"], groups: ["secops"] },
  bob: { roles: ["approver", "viewer"], groups: ["secops", "finance"] },
  carol: { roles: ["approver"], groups: ["secops"] },
  dave: { roles: ["admin", "approver"], groups: ["secops"] },
  erin: { roles: ["approver"], groups: ["finance"] }, // wrong group
  frank: { roles: ["viewer", "admin"], groups: ["secops"] }, // no approver role
  mallory: null, // not a member
};

const PEOPLE_MAP = new Map(Object.entries(PEOPLE));

type Cmd =
  | { kind: "vote"; who: string; decision: "approved" | "rejected" }
  | { kind: "tick"; ms: number }
  | { kind: "execute"; exact: boolean };

interface Model {
  status: "pending" | "approved" | "rejected" | "expired" | "executed";
  voters: string[];
  approvals: number;
  clock: number;
}

function modelEligible(who: string, group: string | null): boolean {
  const m = PEOPLE[who];
  return who !== "agent-42" && m !== null && m.roles.includes("approver") && (group === null || m.groups.includes(group));
}

function modelStep(m: Model, cmd: Cmd, required: number, group: string | null, expiresAt: number): { model: Model; accepted: boolean } {
  const overdue = m.clock >= expiresAt;
  if (cmd.kind === "tick") return { model: { ...m, clock: m.clock + cmd.ms }, accepted: true };
  if (cmd.kind === "vote") {
    if (m.status === "pending" && overdue) return { model: { ...m, status: "expired" }, accepted: false };
    if (m.status !== "pending") return { model: m, accepted: false };
    if (!modelEligible(cmd.who, group) || m.voters.includes(cmd.who)) return { model: m, accepted: false };
    const voters = [...m.voters, cmd.who];
    if (cmd.decision === "rejected") return { model: { ...m, voters, status: "rejected" }, accepted: true };
    const approvals = m.approvals + 1;
    return { model: { ...m, voters, approvals, status: approvals >= required ? "approved" : "pending" }, accepted: true };
  }
  if (!cmd.exact) return { model: m, accepted: false };
  if (m.status === "pending" && overdue) return { model: { ...m, status: "expired" }, accepted: false };
  if (m.status !== "approved" || overdue) return { model: m, accepted: false };
  return { model: { ...m, status: "executed" }, accepted: true };
}

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("vote" as const), who: fc.constantFrom(...Object.keys(PEOPLE)), decision: fc.constantFrom("approved" as const, "rejected" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 * TTL })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("execute" as const), exact: fc.boolean() }) },
);

describe("state machine vs reference model (property)", () => {
  test("random command sequences", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<string | null>("secops", "finance", null),
        fc.integer({ min: 1, max: 2 * TTL }),
        fc.array(cmdArb, { maxLength: 40 }),
        (required, group, ttl, cmds) => {
          const expiresAt = T0 + ttl;
          let state = pending({ requiredApprovals: required, approverGroup: group, expiresAt });
          let model: Model = { status: "pending", voters: [], approvals: 0, clock: T0 };
          for (const cmd of cmds) {
            const before = state;
            const expected = modelStep(model, cmd, required, group, expiresAt);
            let t: Transition | undefined;
            if (cmd.kind === "vote") t = castVote(state, { approver: cmd.who, decision: cmd.decision, membership: PEOPLE[cmd.who] }, model.clock);
            if (cmd.kind === "execute") {
              t = execute(state, cmd.exact ? binding : { ...binding, argsDigest: "tampered" }, { ruleHash: RULE, requiredApprovals: required, approverGroup: group }, PEOPLE_MAP, model.clock);
            }
            if (t) {
              expect(t.ok).toBe(expected.accepted);
              state = t.state;
            }
            model = expected.model;
            expect(effectiveStatus(state, model.clock)).toBe(effectiveStatus({ status: model.status, expiresAt }, model.clock));
            expect(approvalsCount(state)).toBe(model.approvals);
            // Invariants, whatever happened.
            const approvers = state.votes.map((v) => v.approver);
            expect(new Set(approvers).size).toBe(approvers.length);
            expect(approvers).not.toContain("agent-42");
            if (state.status === "approved" || state.status === "executed") {
              expect(approvalsCount(state)).toBeGreaterThanOrEqual(required);
              expect(state.votes.every((v) => v.decision === "approved")).toBe(true);
            }
            if (state.status === "rejected") expect(state.votes.at(-1)?.decision).toBe("rejected");
            if (["rejected", "expired", "executed"].includes(before.status)) expect(state).toBe(before);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property (issue 9, item 1): whatever created an approval and whoever voted, it unlocks a call
// only if the invariant holds — same call, rule identity equal to the gate's, and at least the
// gate's quorum of approvals by current members of the gate's group who are neither the subject
// nor whoever filed the request. Checked against a naive reference.

const RULES = ["r1".repeat(32), "r2".repeat(32)];
const NAMES = ["agent-42", "filer", "alice", "bob", "carol", "erin", "frank", "mallory"];
const membershipArb: fc.Arbitrary<Membership | null> = fc.option(
  fc.record({ roles: fc.subarray(["approver", "admin", "viewer"]), groups: fc.subarray(["secops", "finance"]) }),
  { nil: null },
);

describe("the consume invariant (property)", () => {
  test("an approval unlocks a call only if the invariant holds", () => {
    fc.assert(
      fc.property(
        fc.record({
          ruleHash: fc.option(fc.constantFrom(...RULES), { nil: null }),
          requestedBy: fc.option(fc.constantFrom("filer", "alice"), { nil: null }),
          status: fc.constantFrom("pending", "approved", "rejected", "executed"),
          expired: fc.boolean(),
          voters: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 6 }),
          rejectOne: fc.boolean(),
          exact: fc.boolean(),
        }),
        fc.record({ ruleHash: fc.constantFrom(...RULES), requiredApprovals: fc.integer({ min: 1, max: 4 }), approverGroup: fc.constantFrom<string | null>("secops", "finance", null) }),
        fc.dictionary(fc.constantFrom(...NAMES), membershipArb),
        (a, gate, memberships) => {
          const votes = a.voters.map((v, i) => ({ approver: v, decision: (a.rejectOne && i === 0 ? "rejected" : "approved") as "approved" | "rejected", at: T0 }));
          const state = pending({ status: a.status as ApprovalState["status"], ruleHash: a.ruleHash, requestedBy: a.requestedBy, votes, expiresAt: a.expired ? T0 : T0 + TTL });
          const members = new Map(Object.entries(memberships));
          const t = execute(state, a.exact ? binding : { ...binding, argsDigest: "other" }, gate, members, T0 + 1);
          const valid = votes.filter((v) => {
            const m = members.get(v.approver) ?? null;
            return (
              v.decision === "approved" &&
              v.approver !== "agent-42" &&
              v.approver !== a.requestedBy &&
              m !== null &&
              m.roles.includes("approver") &&
              (gate.approverGroup === null || m.groups.includes(gate.approverGroup))
            );
          });
          const holds = a.exact && a.status === "approved" && !a.expired && a.ruleHash === gate.ruleHash && valid.length >= gate.requiredApprovals;
          expect(t.ok).toBe(holds);
          if (t.ok) expect(t.state.status).toBe("executed");
        },
      ),
      { numRuns: 3000 },
    );
  });
});
