/**
 * The approval state machine. PURE: no I/O, no clock (time is an argument, epoch milliseconds),
 * so the store, the inbox, Slack and the property test all share one definition of the rules.
 *
 *   pending ──N distinct eligible approvals──▶ approved ──consume (exact call, unexpired)──▶ executed
 *      │ any eligible deny ▶ rejected
 *      └ now ≥ expires_at  ▶ expired
 * rejected, expired and executed are final.
 */

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "executed"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export const FINAL_STATUSES: readonly ApprovalStatus[] = ["rejected", "expired", "executed"];

export const VOTE_DECISIONS = ["approved", "rejected"] as const;
export type VoteDecision = (typeof VOTE_DECISIONS)[number];

/** The role a member needs to vote at all; the rule's approver group narrows it further. */
export const APPROVER_ROLE = "approver";

export interface Vote {
  approver: string;
  decision: VoteDecision;
  at: number;
}

export interface ApprovalState {
  status: ApprovalStatus;
  tenant: string;
  /** The agent whose call is bound to the approval. */
  subject: string;
  /** Who filed the request when not the subject itself (an admin, a service); null otherwise. */
  requestedBy?: string | null;
  /** Identity of the rule that asked for the approval (see lib/policy ruleIdentity); null: none did. */
  ruleHash?: string | null;
  tool: string;
  argsDigest: string;
  requiredApprovals: number;
  approverGroup: string | null;
  expiresAt: number;
  resolvedAt: number | null;
  executedAt: number | null;
  votes: readonly Vote[];
}

/** A user's membership in the approval's tenant; null when not a member. */
export interface Membership {
  roles: readonly string[];
  groups: readonly string[];
}

export type RefusalCode =
  | "final"
  | "expired"
  | "self_approval"
  | "not_eligible"
  | "already_voted"
  | "not_approved"
  | "already_executed"
  | "binding_mismatch"
  | "rule_mismatch"
  | "quorum_not_met";

export interface Refusal {
  ok: false;
  code: RefusalCode;
  message: string;
  /** May differ from the input: a vote on an overdue approval still expires it. */
  state: ApprovalState;
  details?: Record<string, unknown>;
}

export interface Accepted {
  ok: true;
  state: ApprovalState;
  /** True when this step moved the approval out of pending (or to executed). */
  resolved: boolean;
}

export type Transition = Accepted | Refusal;

export function isFinal(status: ApprovalStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** The status as of `now`: a pending approval past its expiry is expired even before the sweeper runs. */
export function effectiveStatus(state: Pick<ApprovalState, "status" | "expiresAt">, now: number): ApprovalStatus {
  return state.status === "pending" && now >= state.expiresAt ? "expired" : state.status;
}

export function approvalsCount(state: Pick<ApprovalState, "votes">): number {
  return state.votes.filter((v) => v.decision === "approved").length;
}

export function remainingApprovals(state: Pick<ApprovalState, "votes" | "requiredApprovals">): number {
  return Math.max(0, state.requiredApprovals - approvalsCount(state));
}

/** Moves an overdue pending approval to expired; anything else is returned unchanged. */
export function expire(state: ApprovalState, now: number): Transition {
  if (effectiveStatus(state, now) === "expired" && state.status === "pending") {
    return { ok: true, state: { ...state, status: "expired", resolvedAt: now }, resolved: true };
  }
  return { ok: true, state, resolved: false };
}

function refuse(state: ApprovalState, code: RefusalCode, message: string, details?: Record<string, unknown>): Refusal {
  return { ok: false, code, message, state, details };
}

/**
 * Whether `approver` may vote now. Order matters for the message a reviewer sees: a closed
 * approval says so before anything about the person.
 */
export function voteEligibility(state: ApprovalState, approver: string, membership: Membership | null, now: number): { ok: true } | Refusal {
  const current = expire(state, now).state;
  if (current.status === "expired") return refuse(current, "expired", `approval expired at ${new Date(current.expiresAt).toISOString()}; nothing more can be decided`);
  if (isFinal(current.status) || current.status === "approved") {
    return refuse(current, "final", `approval is already ${current.status}; nothing more can be decided`);
  }
  if (approver === current.subject) return refuse(current, "self_approval", "the requester cannot decide its own request");
  if (current.requestedBy && approver === current.requestedBy) return refuse(current, "self_approval", "whoever filed the request cannot also decide it");
  if (!membership) return refuse(current, "not_eligible", `${approver} is not a member of tenant ${current.tenant}`);
  if (!membership.roles.includes(APPROVER_ROLE)) {
    return refuse(current, "not_eligible", `${approver} does not have the ${APPROVER_ROLE} role in tenant ${current.tenant}`);
  }
  if (current.approverGroup !== null && !membership.groups.includes(current.approverGroup)) {
    return refuse(current, "not_eligible", `${approver} is not in approver group ${current.approverGroup}`);
  }
  const previous = current.votes.find((v) => v.approver === approver);
  if (previous) return refuse(current, "already_voted", `${approver} already voted (${previous.decision}); each approver counts once`);
  return { ok: true };
}

/** One vote. N distinct eligible approvals approve; any eligible deny rejects at once (deny precedence). */
export function castVote(
  state: ApprovalState,
  vote: { approver: string; decision: VoteDecision; membership: Membership | null },
  now: number,
): Transition {
  const eligible = voteEligibility(state, vote.approver, vote.membership, now);
  if (!eligible.ok) return eligible;
  const votes = [...state.votes, { approver: vote.approver, decision: vote.decision, at: now }];
  if (vote.decision === "rejected") {
    return { ok: true, state: { ...state, votes, status: "rejected", resolvedAt: now }, resolved: true };
  }
  const next = { ...state, votes };
  if (approvalsCount(next) >= state.requiredApprovals) {
    return { ok: true, state: { ...next, status: "approved", resolvedAt: now }, resolved: true };
  }
  return { ok: true, state: next, resolved: false };
}

/** The exact call an approval authorizes (the tenant is checked by the store: another tenant's id is "not found"). */
export interface Binding {
  subject: string;
  tool: string;
  argsDigest: string;
}

/** What gates the call now: the identity and approval settings of the rule that decided `approval`. */
export interface Gate {
  ruleHash: string;
  requiredApprovals: number;
  approverGroup: string | null;
}

/** Why a vote did not count towards the gate's quorum. */
export interface UncountedVote {
  approver: string;
  reason: string;
}

export interface CountOptions {
  /** The approver name legacy global-code votes are recorded under, when the legacy mode is on. */
  legacyCodeVoter?: string | null;
}

/**
 * The approvals that count for `gate`: approved votes by members of the approval's tenant who hold
 * the approver role and belong to the gate's approver group (memberships as they are NOW), never by
 * the subject or whoever filed the request.
 */
export function countedVotes(
  state: Pick<ApprovalState, "votes" | "subject" | "requestedBy" | "tenant">,
  gate: Pick<Gate, "approverGroup"> & Partial<Pick<Gate, "requiredApprovals">>,
  members: ReadonlyMap<string, Membership | null>,
  opts: CountOptions = {},
): { counted: string[]; uncounted: UncountedVote[] } {
  const counted: string[] = [];
  const uncounted: UncountedVote[] = [];
  for (const v of state.votes) {
    if (v.decision !== "approved") continue;
    const m = members.get(v.approver) ?? null;
    let reason: string | null = null;
    if (opts.legacyCodeVoter && v.approver === opts.legacyCodeVoter) {
      // Seed 004's global APPROVAL_CODE stands for one unnamed approver: it counts only while the
      // legacy mode is on, and only for a rule that asks for one approval from no particular group.
      if (gate.approverGroup !== null || (gate as Partial<Gate>).requiredApprovals !== 1) reason = "is the legacy global approval code, which counts only for 1-approval rules that name no group";
      else if (counted.includes(v.approver)) reason = "already counted";
      if (reason) uncounted.push({ approver: v.approver, reason });
      else counted.push(v.approver);
      continue;
    }
    if (v.approver === state.subject) reason = "is the subject of the call";
    else if (state.requestedBy && v.approver === state.requestedBy) reason = "filed the request";
    else if (!m) reason = `is not a member of tenant ${state.tenant}`;
    else if (!m.roles.includes(APPROVER_ROLE)) reason = `does not have the ${APPROVER_ROLE} role`;
    else if (gate.approverGroup !== null && !m.groups.includes(gate.approverGroup)) reason = `is not in approver group ${gate.approverGroup}`;
    else if (counted.includes(v.approver)) reason = "already counted";
    if (reason) uncounted.push({ approver: v.approver, reason });
    else counted.push(v.approver);
  }
  return { counted, uncounted };
}

/**
 * The one invariant under which an approval unlocks a gated call, whatever endpoint created it:
 * (a) it was granted for this exact call (tenant — checked by the store —, subject, tool, argument
 * digest), approved, unexpired and unused; (b) its rule identity equals the rule that gates the
 * call now; (c) at least the gate's `required_approvals` distinct approvals count, where (d) only
 * votes of current members of the approval's tenant in the gate's approver group count, none by
 * the subject or whoever filed the request. The store applies the resulting `executed` state
 * with a conditional update, under a row lock.
 */
export function execute(state: ApprovalState, binding: Binding, gate: Gate, members: ReadonlyMap<string, Membership | null>, now: number, opts: CountOptions = {}): Transition {
  const mismatched = (["subject", "tool", "argsDigest"] as const).filter((k) => state[k] !== binding[k]);
  if (mismatched.length > 0) {
    return refuse(state, "binding_mismatch", `this approval was granted for a different call (${mismatched.join(", ")} differ)`, { fields: mismatched });
  }
  if (state.status === "executed") return refuse(state, "already_executed", "this approval has already been used; request a new one");
  const current = expire(state, now).state;
  if (current.status === "expired") return refuse(current, "expired", `approval expired at ${new Date(current.expiresAt).toISOString()}`);
  if (current.status !== "approved") {
    return refuse(current, "not_approved", current.status === "pending"
      ? `approval is still pending (${remainingApprovals(current)} more approval(s) needed)`
      : `approval was ${current.status}`);
  }
  if (now >= current.expiresAt) return refuse(current, "expired", `approval expired at ${new Date(current.expiresAt).toISOString()} before it was used`);
  if (!current.ruleHash || current.ruleHash !== gate.ruleHash) {
    return refuse(
      current,
      "rule_mismatch",
      current.ruleHash
        ? "this approval was granted under a different policy rule (or an earlier version of this one) than the rule that gates the call now; request a new approval"
        : "this approval was not requested by the policy rule that gates this call (it was filed by hand with its own quorum), so it cannot unlock it; retry the call without an approval id to get one",
      { approval_rule_hash: current.ruleHash ?? null, gate_rule_hash: gate.ruleHash },
    );
  }
  const { counted, uncounted } = countedVotes(current, gate, members, opts);
  if (counted.length < gate.requiredApprovals) {
    const why = uncounted.map((u) => `${u.approver} ${u.reason}`).join("; ");
    return refuse(
      current,
      "quorum_not_met",
      `the rule needs ${gate.requiredApprovals} approval(s)${gate.approverGroup ? ` from ${gate.approverGroup}` : ""}; ${counted.length} count${why ? ` (not counted: ${why})` : ""}`,
      { required: gate.requiredApprovals, counted, uncounted },
    );
  }
  return { ok: true, state: { ...current, status: "executed", executedAt: now }, resolved: true };
}
