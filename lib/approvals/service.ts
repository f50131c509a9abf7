import { randomUUID } from "node:crypto";
import { digest } from "@/lib/canonical";
import {
  type ApprovalRow,
  findApproval,
  insertApproval,
  isForeignKeyViolation,
  listApprovals,
  listOverduePending,
  listPendingExpiries,
  mutateApprovalLocked,
  setSlackMessage,
} from "@/lib/db/approvals";
import type { PrismaClient } from "@/lib/db";
import type { Queryer } from "@/lib/db/audit-records";
import type { Prisma } from "@/lib/db";
import { getMembership, listSlackApprovers } from "@/lib/db/users";
import { AppError, conflict, notFound } from "@/lib/errors";
import type { KvStore } from "@/lib/redis";
import { ApprovalBus, type ApprovalEvent, type ApprovalEvents } from "./events";
import { type RedactionConfig, Redactor } from "@/lib/audit/redact";
import type { ApprovalList, ApprovalView, DecisionResult, ListQuery } from "./schemas";
import { isoSeconds, signDecision, verifyDecision } from "./signature";
import { approvalCode, LEGACY_CODE_APPROVER, matchApprover, sameCode } from "./codes";
import {
  type ApprovalState,
  APPROVER_ROLE,
  type ApprovalStatus,
  approvalsCount,
  castVote,
  effectiveStatus,
  execute,
  expire,
  type Gate,
  type Membership,
  type Refusal,
  type RefusalCode,
  remainingApprovals,
  type Transition,
  voteEligibility,
  type VoteDecision,
} from "./state-machine";

export const DEFAULT_EXPIRY_SECONDS = 3600;
export const DEFAULT_NAMESPACE = "canopy:approvals";
export const TTL_INDEX_KEY = `${DEFAULT_NAMESPACE}:ttl`;
/** Present while the TTL index is complete; absent after Redis lost its data, which triggers a rebuild from Postgres. */
export const TTL_INDEX_MARKER = `${DEFAULT_NAMESPACE}:ttl:built`;

export interface ApprovalLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface ApprovalNotifier {
  /** A new approval; returns where the message went when it can be updated later. */
  created(approval: ApprovalView): Promise<SlackMessageRef | null>;
  /** Votes and resolutions: refresh the message. */
  updated(approval: ApprovalView, message: SlackMessageRef | null): Promise<void>;
  /** A direct message to one approver with their personal approval code (only where messages can go to a person). */
  personalCode?(approval: ApprovalView, to: { approver: string; slackUserId: string }, code: string): Promise<void>;
}

export interface ApprovalServiceDeps {
  prisma: PrismaClient;
  kv: KvStore;
  hmacSecret: string;
  /**
   * What approvers and viewers never see (AUDIT_REDACT_KEYS, AUDIT_REDACT_VALUE_PATTERNS): the
   * audit log's redaction, applied to args, context, summary, reason and vote comments before
   * they are stored. The defaults when absent.
   */
  redaction?: RedactionConfig;
  now?: () => number;
  notifier?: ApprovalNotifier | null;
  /** Where lifecycle events go (the composition root wires them to the audit log). */
  events?: ApprovalEvents;
  log?: ApprovalLogger;
  /**
   * A waiter re-reads Postgres this often in case a wake-up was lost (Redis restarting). It is a
   * backstop, not the mechanism: resolutions arrive by pub/sub in milliseconds.
   */
  waitBackstopMs?: number;
  /** Prefix of the Redis keys and channel (tests sharing one Redis keep apart with their own). */
  namespace?: string;
  /**
   * Seed 004's global APPROVAL_CODE, only when its legacy mode is on (APPROVAL_CODE_LEGACY=true);
   * null otherwise. It completes only approvals of one required approval that name no group.
   */
  legacyApprovalCode?: string | null;
  /** Failed code attempts allowed per approval and per caller within the window, before 429. */
  codeAttempts?: { perApproval: number; perCaller: number; windowMs: number };
}

export const DEFAULT_CODE_ATTEMPTS = { perApproval: 5, perCaller: 20, windowMs: 15 * 60_000 };
/** At most this many approvers reveal a code for one approval (the completion compares against each). */
export const MAX_CODES_PER_APPROVAL = 200;

export interface NewApproval {
  /** "appr_…"; another form (seed 000's pending_id) is prefixed with "appr_". Generated when absent. */
  id?: string;
  tenant: string;
  subject: string;
  /** The principal that filed the request, when not the subject itself. */
  requestedBy?: string | null;
  /** Identity of the policy rule that asks for this approval (null: none does; it can then never unlock a gated call). */
  ruleHash?: string | null;
  /** Whether quorum and group come from that rule or from whoever filed the request. */
  quorumSource?: "rule" | "requester";
  tool: string;
  args: Record<string, unknown>;
  summary?: string | null;
  reason?: string | null;
  rule?: string | null;
  approverGroup?: string | null;
  requiredApprovals?: number;
  policyVersion?: number | null;
  traceId?: string | null;
  context?: Record<string, unknown> | null;
  expiresInSeconds?: number | null;
}

/** The fields of a policy decision with `decision: "approval"` that shape the approval (lib/policy's PolicyDecision fits). */
export interface ApprovalDecisionLike {
  rule: string | null;
  rule_hash: string | null;
  reason: string;
  approver_group: string | null;
  required_approvals: number | null;
  expires_in_seconds: number | null;
}

export interface DecideInput {
  id: string;
  tenant: string;
  approver: string;
  decision: VoteDecision;
  comment?: string | null;
  via: "api" | "inbox" | "slack" | "code";
  signature?: string | null;
  /** The vote of seed 004's legacy global code: an approver without a membership (see countedVotes). */
  legacyCode?: boolean;
  /** API callers prove the decision with the HMAC; inbox and Slack callers are authenticated otherwise. */
  requireSignature: boolean;
}

export interface ConsumeInput {
  id: string;
  tenant: string;
  subject: string;
  tool: string;
  argsDigest: string;
  /** The rule that gates the call now (the policy decided `approval` with it). */
  gate: Gate;
  now?: Date | number;
  /**
   * Writes that must commit with the approval's spending, in its transaction (the audit record
   * of the call it allows): run once the approval is marked executed; throwing rolls both back,
   * so the approval stays unspent and consume rejects with that error.
   */
  within?: (q: Queryer, approval: ApprovalView) => Promise<void>;
}

/** Refusals beyond the state machine's: signatures and approval codes. */
export type RefusalCodeExtra = "not_found" | "invalid_signature" | "invalid_approval_code" | "too_many_attempts" | "legacy_code_not_allowed";

export type ConsumeResult =
  | { ok: true; approval: ApprovalView }
  | { ok: false; code: RefusalCode | "not_found"; message: string; status?: ApprovalStatus; details?: Record<string, unknown> };

export interface WaitResult {
  id: string;
  status: ApprovalStatus;
  /** True when the time ran out while the approval was still pending. */
  timedOut: boolean;
}

export function normalizeApprovalId(id: string): string {
  return id.startsWith("appr_") ? id : `appr_${id}`;
}

function toState(row: ApprovalRow): ApprovalState {
  return {
    status: row.status as ApprovalStatus,
    tenant: row.tenantId,
    subject: row.subject,
    requestedBy: row.requestedBy,
    ruleHash: row.ruleHash,
    tool: row.tool,
    argsDigest: row.argsDigest,
    requiredApprovals: row.requiredApprovals,
    approverGroup: row.approverGroup,
    expiresAt: row.expiresAt.getTime(),
    resolvedAt: row.resolvedAt?.getTime() ?? null,
    executedAt: row.executedAt?.getTime() ?? null,
    votes: row.votes.map((v) => ({ approver: v.approver, decision: v.decision as VoteDecision, at: v.createdAt.getTime() })),
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toView(row: ApprovalRow, now: number, viewer?: { subject: string; membership: Membership | null }): ApprovalView {
  const state = toState(row);
  const view: ApprovalView = {
    id: row.id,
    tenant: row.tenantId,
    subject: row.subject,
    requested_by: row.requestedBy ?? row.subject,
    tool: row.tool,
    args: row.args,
    args_digest: row.argsDigest,
    summary: row.summary,
    reason: row.reason,
    rule: row.rule,
    rule_hash: row.ruleHash,
    quorum_source: row.quorumSource === "rule" ? "rule" : "requester",
    approver_group: row.approverGroup,
    required_approvals: row.requiredApprovals,
    approvals: approvalsCount(state),
    remaining_approvals: remainingApprovals(state),
    policy_version: row.policyVersion,
    status: effectiveStatus(state, now),
    trace_id: row.traceId,
    context: row.context ?? null,
    created_at: row.createdAt.toISOString(),
    requested_at: row.createdAt.toISOString(),
    expires_at: isoSeconds(row.expiresAt),
    resolved_at: iso(row.resolvedAt) ?? (effectiveStatus(state, now) === "expired" ? isoSeconds(row.expiresAt) : null),
    executed_at: iso(row.executedAt),
    votes: row.votes.map((v) => ({ approver: v.approver, decision: v.decision as VoteDecision, comment: v.comment, via: v.via, created_at: v.createdAt.toISOString() })),
    agent: row.subject,
    action: row.tool,
  };
  if (viewer) {
    const e = voteEligibility(state, viewer.subject, viewer.membership, now);
    const voted = state.votes.find((v) => v.approver === viewer.subject)?.decision ?? null;
    view.viewer = { can_decide: e.ok, reason: e.ok ? null : e.message, voted };
  }
  return view;
}

const REFUSAL_STATUS: Record<RefusalCode, number> = {
  final: 409,
  // Gone: nothing can be decided on it any more (a new approval is the way).
  expired: 410,
  already_voted: 409,
  self_approval: 403,
  not_eligible: 403,
  not_approved: 409,
  already_executed: 409,
  binding_mismatch: 409,
  rule_mismatch: 409,
  quorum_not_met: 409,
};

export function refusalError(r: Pick<Refusal, "code" | "message" | "details">): AppError {
  return new AppError(REFUSAL_STATUS[r.code], r.code, r.message, r.details);
}

const consoleLog: ApprovalLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

export type ApprovalService = ReturnType<typeof createApprovalService>;

export function createApprovalService(deps: ApprovalServiceDeps) {
  const { prisma, kv } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? consoleLog;
  const backstopMs = deps.waitBackstopMs ?? 5_000;
  const redactor = new Redactor(deps.hmacSecret, deps.redaction);
  const ns = deps.namespace ?? DEFAULT_NAMESPACE;
  const ttlKey = `${ns}:ttl`;
  const ttlMarker = `${ns}:ttl:built`;
  const bus = new ApprovalBus(kv, `${ns}:events`);
  const legacyCode = deps.legacyApprovalCode || null;
  const attempts = deps.codeAttempts ?? DEFAULT_CODE_ATTEMPTS;
  const codesKey = (id: string) => `${ns}:codes:${id}`;
  const background = new Set<Promise<unknown>>();
  let sweepCount = 0;

  /** Side work (Slack, index upkeep) must not slow down or fail a decision; flush() awaits it in tests. */
  function inBackground(what: string, fn: () => Promise<unknown>) {
    const p = fn()
      .catch((err) => log.warn({ err: String(err), what }, "approval background task failed"))
      .finally(() => background.delete(p));
    background.add(p);
  }

  const emit = async (e: ApprovalEvent) =>
    deps.events?.emit(e, (err, ev) => log.error({ err: String(err), kind: ev.kind }, "approval event listener failed"));

  async function announce(row: ApprovalRow, previous: ApprovalStatus) {
    const status = row.status as ApprovalStatus;
    if (status !== "pending" && previous === "pending") {
      inBackground("ttl index remove", () => kv.zrem(ttlKey, row.id));
    }
    // Awaited: the wake-up is the point. A Redis failure is logged; waiters' backstop re-reads Postgres.
    await bus.publish({ id: row.id, tenant: row.tenantId, status, at: now() }).catch((err) => log.warn({ err: String(err), id: row.id }, "approval publish failed"));
    if (deps.notifier) {
      const view = toView(row, now());
      const ref = row.slackChannel && row.slackTs ? { channel: row.slackChannel, ts: row.slackTs } : null;
      inBackground("notify update", () => deps.notifier!.updated(view, ref));
    }
  }

  async function create(input: NewApproval): Promise<{ approval: ApprovalView; created: boolean }> {
    const id = input.id ? normalizeApprovalId(input.id) : `appr_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
    // The binding digest is over the real arguments; only the redacted copy is stored and shown.
    const argsDigest = digest(input.args);
    const scope = redactor.scope(input.tenant).remember(input.args, input.context);
    const t = now();
    const seconds = input.expiresInSeconds ?? DEFAULT_EXPIRY_SECONDS;
    // Whole seconds, so expires_at's ISO form (part of the decision signature) round-trips exactly.
    const expiresAt = new Date(Math.floor((t + seconds * 1000) / 1000) * 1000);
    let inserted: { row: ApprovalRow; created: boolean };
    try {
      inserted = await insertApproval(prisma, {
        id,
        tenantId: input.tenant,
        subject: input.subject,
        requestedBy: input.requestedBy && input.requestedBy !== input.subject ? input.requestedBy : null,
        ruleHash: input.ruleHash ?? null,
        quorumSource: input.quorumSource ?? "requester",
        tool: input.tool,
        argsDigest,
        args: scope.value(input.args) as Prisma.InputJsonValue,
        summary: scope.text(input.summary),
        reason: scope.text(input.reason),
        rule: input.rule ?? null,
        approverGroup: input.approverGroup ?? null,
        requiredApprovals: Math.max(1, input.requiredApprovals ?? 1),
        policyVersion: input.policyVersion ?? null,
        traceId: input.traceId ?? null,
        context: (input.context ? scope.value(input.context) : null) as Prisma.InputJsonValue | null,
        createdAt: new Date(t),
        expiresAt,
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw notFound(`tenant ${input.tenant} does not exist`);
      throw err;
    }
    const { row, created } = inserted;
    if (!created) {
      const same = row.tenantId === input.tenant && row.subject === input.subject && row.tool === input.tool && row.argsDigest === argsDigest;
      if (!same) throw conflict(`approval id ${id} is already used for a different call`);
      return { approval: toView(row, now()), created: false };
    }
    const view = toView(row, now());
    try {
      await kv.zadd(ttlKey, expiresAt.getTime(), id);
    } catch (err) {
      // Postgres has it; the sweeper's database scan expires it even without the index.
      log.warn({ err: String(err), id }, "approval TTL index unavailable");
    }
    await emit({ kind: "approval_request", approval: view, actor: input.requestedBy ?? input.subject });
    if (deps.notifier) {
      inBackground("notify create", async () => {
        const ref = await deps.notifier!.created(view);
        if (ref) await setSlackMessage(prisma, id, ref.channel, ref.ts);
      });
    }
    const personal = deps.notifier?.personalCode?.bind(deps.notifier);
    if (personal) {
      inBackground("notify codes", async () => {
        const to = await listSlackApprovers(prisma, input.tenant, view.approver_group, MAX_CODES_PER_APPROVAL);
        for (const m of to) {
          if (m.userId === view.subject || m.userId === view.requested_by || !m.slackUserId) continue;
          await kv.zadd(codesKey(id), expiresAt.getTime(), m.userId);
          await personal(view, { approver: m.userId, slackUserId: m.slackUserId }, approvalCode(deps.hmacSecret, id, m.userId, expiresAt));
        }
      });
    }
    return { approval: view, created: true };
  }

  /** The gateway's entry: a policy decision of `approval` for one exact call. */
  function createFromPolicyDecision(call: {
    tenant: string;
    subject: string;
    tool: string;
    args: Record<string, unknown>;
    decision: ApprovalDecisionLike;
    policyVersion?: number | null;
    traceId?: string | null;
    summary?: string | null;
    context?: Record<string, unknown> | null;
  }) {
    return create({
      tenant: call.tenant,
      subject: call.subject,
      tool: call.tool,
      args: call.args,
      summary: call.summary ?? `${call.tool} by ${call.subject}`,
      reason: call.decision.reason,
      rule: call.decision.rule,
      ruleHash: call.decision.rule_hash,
      quorumSource: "rule",
      approverGroup: call.decision.approver_group,
      requiredApprovals: call.decision.required_approvals ?? 1,
      expiresInSeconds: call.decision.expires_in_seconds,
      policyVersion: call.policyVersion ?? null,
      traceId: call.traceId ?? null,
      context: call.context ?? null,
    });
  }

  async function loadInTenant(id: string, tenant: string): Promise<ApprovalRow> {
    const row = await findApproval(prisma, id);
    // Another tenant's approval does not exist for this caller.
    if (!row || row.tenantId !== tenant) throw notFound(`approval ${id} not found`);
    return row;
  }

  async function viewerOf(tenant: string, subject?: string) {
    if (!subject) return undefined;
    const m = await getMembership(prisma, tenant, subject);
    return { subject, membership: m ? { roles: m.roles, groups: m.groups } : null };
  }

  async function get(id: string, tenant: string, viewerSubject?: string): Promise<ApprovalView> {
    const row = await loadInTenant(id, tenant);
    return toView(row, now(), await viewerOf(tenant, viewerSubject));
  }

  async function list(q: ListQuery & { tenant: string }, viewerSubject?: string): Promise<ApprovalList> {
    const rows = await listApprovals(prisma, {
      tenantId: q.tenant,
      status: q.status === "all" ? undefined : q.status,
      tool: q.tool,
      subject: q.subject,
      before: q.before ? new Date(q.before) : undefined,
      limit: q.limit,
      now: new Date(now()),
    });
    const viewer = await viewerOf(q.tenant, viewerSubject);
    const t = now();
    const approvals = rows.map((r) => toView(r, t, viewer));
    // Pending first (soonest expiry first), then the rest newest first.
    approvals.sort((a, b) => {
      const ap = a.status === "pending" ? 0 : 1;
      const bp = b.status === "pending" ? 0 : 1;
      if (ap !== bp) return ap - bp;
      return ap === 0 ? a.expires_at.localeCompare(b.expires_at) : b.created_at.localeCompare(a.created_at);
    });
    return { approvals, next_before: rows.length === q.limit ? rows[rows.length - 1].createdAt.toISOString() : null };
  }

  async function refused(id: string, tenant: string, actor: string, action: "vote" | "execute" | "code", code: RefusalCode | RefusalCodeExtra, message: string) {
    await emit({ kind: "approval_refused", approvalId: id, tenant, actor, action, code, message });
  }

  type DecideOutcome = { kind: "vote"; tr: Transition; signature: string } | { kind: "not_found" } | { kind: "bad_signature"; expiresAt: Date };

  /**
   * One vote, under the approval's row lock. The hot path of approve → wake-up: the wake-up is
   * published right after the commit, before audit listeners and Slack.
   */
  async function decide(input: DecideInput): Promise<DecisionResult> {
    const id = input.id;
    const provided = input.signature ?? null;
    const t = now();
    let before: ApprovalStatus = "pending";
    const out = await mutateApprovalLocked<DecideOutcome>(prisma, id, (current, membership) => {
      before = current.status as ApprovalStatus;
      // Another tenant's approval does not exist for this caller.
      if (current.tenantId !== input.tenant) return { result: { kind: "not_found" } };
      if ((input.requireSignature || provided !== null) && !verifyDecision(deps.hmacSecret, id, input.decision, input.approver, current.expiresAt, provided)) {
        return { result: { kind: "bad_signature", expiresAt: current.expiresAt } };
      }
      const signature = signDecision(deps.hmacSecret, id, input.decision, input.approver, current.expiresAt);
      const voter = input.legacyCode ? { roles: [APPROVER_ROLE], groups: [] } : membership;
      const tr = castVote(toState(current), { approver: input.approver, decision: input.decision, membership: voter }, t);
      if (!tr.ok) {
        // A vote on an overdue approval is refused, and the expiry it discovered is recorded.
        const expired = tr.state.status === "expired" && current.status === "pending";
        return { update: expired ? { status: "expired", resolvedAt: new Date(t) } : undefined, result: { kind: "vote", tr, signature } };
      }
      return {
        vote: { approver: input.approver, decision: input.decision, comment: redactor.scope(input.tenant).text(input.comment), signature, via: input.via, createdAt: new Date(t) },
        update: tr.resolved ? { status: tr.state.status, resolvedAt: new Date(t) } : undefined,
        result: { kind: "vote", tr, signature },
      };
    }, { memberOf: input.approver });
    if (!out || out.result.kind === "not_found") throw notFound(`approval ${id} not found`);
    if (out.result.kind === "bad_signature") {
      await refused(id, input.tenant, input.approver, "vote", "invalid_signature", "Invalid signature");
      throw new AppError(403, "invalid_signature", "Invalid signature: expected HMAC-SHA256(HMAC_SECRET, \"{id}:{decision}:{approver}:{expires_at}\") in hex, with expires_at exactly as the API returns it", {
        message_format: `${id}:${input.decision}:${input.approver}:${isoSeconds(out.result.expiresAt)}`,
      });
    }
    const { tr, signature } = out.result;
    if (out.changed) await announce(out.row, before);
    const view = toView(out.row, now());
    if (!tr.ok) {
      if (out.changed) await emit({ kind: "approval_resolution", approval: view, actor: "system" });
      await refused(id, input.tenant, input.approver, "vote", tr.code, tr.message);
      throw refusalError(tr);
    }
    await emit({ kind: "approval_vote", approval: view, actor: input.approver, vote: { decision: input.decision, comment: input.comment ?? null, via: input.via } });
    if (tr.resolved) await emit({ kind: "approval_resolution", approval: view, actor: input.approver });
    return {
      id,
      status: view.status,
      decision: input.decision,
      approver: input.approver,
      approved_at: new Date(t).toISOString(),
      comment: input.comment ?? null,
      signature,
      approvals: view.approvals,
      remaining_approvals: view.remaining_approvals,
      required_approvals: view.required_approvals,
    };
  }

  /** Seed 003 verify: the signature must be the HMAC of a decision on record for this approval. */
  async function verify(input: { id: string; tenant: string; signature: string; decision?: VoteDecision; approver?: string }) {
    const row = await loadInTenant(input.id, input.tenant);
    const candidates = row.votes.filter((v) => (!input.decision || v.decision === input.decision) && (!input.approver || v.approver === input.approver));
    // Every candidate is checked (no early exit), so timing says nothing about which one matched.
    let match: (typeof candidates)[number] | undefined;
    for (const v of candidates) {
      if (verifyDecision(deps.hmacSecret, row.id, v.decision as VoteDecision, v.approver, row.expiresAt, input.signature)) match ??= v;
    }
    if (!match) return { valid: false as const, error: "Invalid signature" };
    return {
      valid: true as const,
      approval: {
        id: row.id,
        status: effectiveStatus(toState(row), now()),
        decision: match.decision as VoteDecision,
        approver: match.approver,
        expires_at: isoSeconds(row.expiresAt),
      },
    };
  }

  /** Pending → expired when due, under the row lock; true when this call made the change. */
  async function expireDue(id: string, at = now()): Promise<boolean> {
    const out = await mutateApprovalLocked(prisma, id, (row) => {
      const tr = expire(toState(row), at);
      const resolved = tr.ok && tr.resolved;
      return { update: resolved ? { status: "expired", resolvedAt: new Date(at) } : undefined, result: resolved };
    });
    if (!out) {
      await kv.zrem(ttlKey, id).catch(() => 0);
      return false;
    }
    if (!out.changed) {
      if (out.row.status !== "pending") await kv.zrem(ttlKey, id).catch(() => 0);
      return false;
    }
    await announce(out.row, "pending");
    await emit({ kind: "approval_resolution", approval: toView(out.row, now()), actor: "system" });
    return true;
  }

  /**
   * Replay protection and binding (the gateway's retry carrying an approval id): succeeds exactly
   * once, and only when the approval satisfies the invariant of state-machine `execute` for this
   * exact call and the rule that gates it now. Checked and applied under the approval's row lock,
   * with the voters' current memberships read inside the lock. The one winner gets the approval;
   * everybody else a reason.
   */
  async function consume(input: ConsumeInput): Promise<ConsumeResult> {
    const at = input.now === undefined ? now() : typeof input.now === "number" ? input.now : input.now.getTime();
    type Outcome = { kind: "not_found" } | { kind: "refused"; code: RefusalCode; message: string; status: ApprovalStatus; details?: Record<string, unknown> } | { kind: "executed" };
    const out = await mutateApprovalLocked<Outcome>(
      prisma,
      input.id,
      (row, _m, voters) => {
        if (row.tenantId !== input.tenant) return { result: { kind: "not_found" } };
        const tr = execute(toState(row), { subject: input.subject, tool: input.tool, argsDigest: input.argsDigest }, input.gate, voters, at, { legacyCodeVoter: legacyCode ? LEGACY_CODE_APPROVER : null });
        if (!tr.ok) {
          const expired = tr.state.status === "expired" && row.status === "pending";
          return {
            update: expired ? { status: "expired", resolvedAt: new Date(at) } : undefined,
            result: { kind: "refused", code: tr.code, message: tr.message, status: tr.state.status, details: tr.details },
          };
        }
        return { update: { status: "executed", executedAt: new Date(at) }, result: { kind: "executed" } };
      },
      {
        voterMemberships: true,
        within: input.within ? async (q, row, result) => (result.kind === "executed" ? input.within!(q, toView(row, at)) : undefined) : undefined,
      },
    );
    if (!out || out.result.kind === "not_found") {
      await refused(input.id, input.tenant, input.subject, "execute", "not_found", "approval not found");
      return { ok: false, code: "not_found", message: `approval ${input.id} not found` };
    }
    if (out.result.kind === "refused") {
      const r = out.result;
      if (out.changed) {
        await announce(out.row, "pending");
        await emit({ kind: "approval_resolution", approval: toView(out.row, now()), actor: "system" });
      }
      await refused(input.id, input.tenant, input.subject, "execute", r.code, r.message);
      return { ok: false, code: r.code, message: r.message, status: r.status, ...(r.details ? { details: r.details } : {}) };
    }
    await bus.publish({ id: out.row.id, tenant: out.row.tenantId, status: "executed", at }).catch(() => {});
    const view = toView(out.row, at);
    await emit({ kind: "approval_executed", approval: view, actor: input.subject });
    return { ok: true, approval: view };
  }

  /**
   * Seed 000's wait_for_resolution: resolves as soon as the approval leaves pending (pub/sub
   * wake-up from any replica), or with timedOut after `timeoutMs`. Also fires the expiry itself
   * when it falls inside the wait, so a waiter never outlives its approval.
   */
  async function waitForResolution(id: string, timeoutMs: number, opts: { onWaiting?: () => void } = {}): Promise<WaitResult> {
    await bus.ready().catch((err) => log.warn({ err: String(err) }, "approval bus unavailable; waiting on the backstop"));
    return new Promise<WaitResult>((resolve, reject) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (status: ApprovalStatus, timedOut: boolean) => {
        if (settled) return;
        settled = true;
        off();
        for (const t of timers) clearTimeout(t);
        resolve({ id, status, timedOut });
      };
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        off();
        for (const t of timers) clearTimeout(t);
        reject(err);
      };
      // Listen before reading, so a decision landing between the read and the wait is not missed.
      const off = bus.on(id, (m) => {
        if (m.status !== "pending") finish(m.status, false);
      });
      const check = async (): Promise<void> => {
        const row = await findApproval(prisma, id);
        if (!row) return fail(notFound(`approval ${id} not found`));
        const status = effectiveStatus(toState(row), now());
        if (status === "expired" && row.status === "pending") {
          await expireDue(id);
          return finish("expired", false);
        }
        if (status !== "pending") return finish(status, false);
        if (!announcedWaiting) {
          announcedWaiting = true;
          opts.onWaiting?.();
        }
        const expiresIn = row.expiresAt.getTime() - now();
        if (!expiryArmed && expiresIn < timeoutMs) {
          expiryArmed = true;
          timers.push(setTimeout(() => void expireDue(id).then(() => check()).catch(fail), Math.max(0, expiresIn)));
        }
      };
      let expiryArmed = false;
      let announcedWaiting = false;
      timers.push(setTimeout(() => finish("pending", true), Math.max(0, timeoutMs)));
      const backstop = setInterval(() => void check().catch(() => {}), backstopMs);
      backstop.unref?.();
      timers.push(backstop as unknown as NodeJS.Timeout);
      check().catch(fail);
    });
  }

  /**
   * One sweep: rebuild the Redis TTL index if Redis lost it, expire what the index says is due,
   * and every few sweeps (or when Redis fails) scan Postgres directly, so expiry never depends on Redis.
   */
  async function sweep(at = now()): Promise<{ expired: string[]; rebuilt: boolean }> {
    const expired: string[] = [];
    let rebuilt = false;
    let scanDb = sweepCount++ % 30 === 0;
    try {
      if (!(await kv.get(ttlMarker))) {
        for (const p of await listPendingExpiries(prisma)) await kv.zadd(ttlKey, p.expiresAt.getTime(), p.id);
        await kv.set(ttlMarker, new Date(at).toISOString());
        rebuilt = true;
      }
      for (;;) {
        const due = await kv.zrangeByScore(ttlKey, -Infinity, at, 100);
        for (const id of due) {
          if (await expireDue(id, at)) expired.push(id);
          await kv.zrem(ttlKey, id);
        }
        if (due.length < 100) break;
      }
    } catch (err) {
      log.warn({ err: String(err) }, "approval TTL index unavailable; sweeping from Postgres");
      scanDb = true;
    }
    if (scanDb) {
      for (const id of await listOverduePending(prisma, new Date(at), 500)) {
        if (await expireDue(id, at)) expired.push(id);
      }
    }
    return { expired, rebuilt };
  }

  function startSweeper(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      sweep()
        .catch((err) => log.error({ err: String(err) }, "approval sweep failed"))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  async function flush() {
    while (background.size > 0) await Promise.allSettled([...background]);
  }

  async function close() {
    await flush();
    await bus.close();
  }

  /**
   * An eligible approver's personal code for a pending approval (inbox button, Slack message to
   * that approver). Only someone who could vote now gets one; the reveal is audited.
   */
  async function revealCode(input: { id: string; tenant: string; approver: string }): Promise<{ id: string; approver: string; approval_code: string; expires_at: string; complete: string }> {
    const row = await loadInTenant(input.id, input.tenant);
    const m = await getMembership(prisma, input.tenant, input.approver);
    const e = voteEligibility(toState(row), input.approver, m ? { roles: m.roles, groups: m.groups } : null, now());
    if (!e.ok) {
      await refused(input.id, input.tenant, input.approver, "code", e.code, `approval code not revealed: ${e.message}`);
      throw refusalError(e);
    }
    const known = await kv.zrangeByScore(codesKey(input.id), -Infinity, Infinity, MAX_CODES_PER_APPROVAL + 1);
    if (!known.includes(input.approver)) {
      if (known.length >= MAX_CODES_PER_APPROVAL) throw new AppError(409, "too_many_codes", `at most ${MAX_CODES_PER_APPROVAL} approvers can hold a code for one approval; decide in the inbox instead`);
      await kv.zadd(codesKey(input.id), row.expiresAt.getTime(), input.approver);
    }
    await emit({ kind: "approval_code_revealed", approvalId: input.id, tenant: input.tenant, actor: input.approver });
    return {
      id: row.id,
      approver: input.approver,
      approval_code: approvalCode(deps.hmacSecret, row.id, input.approver, row.expiresAt),
      expires_at: isoSeconds(row.expiresAt),
      complete: `POST /approvals/complete {"dry_run_id":"${row.id}","approval_code":"…"} counts as your approval, once`,
    };
  }

  async function throttled(key: string, limit: number): Promise<boolean> {
    const v = await kv.get(key);
    return v !== null && Number(v) >= limit;
  }

  /**
   * Seed 004 `POST /approvals/complete {dry_run_id, approval_code}`: the code's approver votes
   * "approved" (via "code"). Failed attempts are counted per approval and per caller, refused with
   * 429 past the limits, and every failure is audited.
   */
  async function completeWithCode(input: { id: string; tenant: string; caller: string; code: string }): Promise<DecisionResult & { via: "code" }> {
    const id = normalizeApprovalId(input.id);
    const perApproval = `${ns}:code-fails:${input.tenant}:${id}`;
    const perCaller = `${ns}:code-fails-by:${input.tenant}:${input.caller}`;
    if ((await throttled(perApproval, attempts.perApproval)) || (await throttled(perCaller, attempts.perCaller))) {
      await refused(id, input.tenant, input.caller, "code", "too_many_attempts", "approval code attempts throttled");
      const retry = Math.max(1, Math.ceil(Math.max(await kv.pttl(perApproval), await kv.pttl(perCaller), 1000) / 1000));
      throw new AppError(429, "too_many_attempts", `too many wrong approval codes; try again in ${retry} s`, { retry_after_seconds: retry });
    }
    const fail = async (code: RefusalCodeExtra, message: string, status = 403): Promise<never> => {
      await kv.incrBy(perApproval, 1, attempts.windowMs);
      await kv.incrBy(perCaller, 1, attempts.windowMs);
      await refused(id, input.tenant, input.caller, "code", code, message);
      throw new AppError(status, code, message);
    };
    const row = await findApproval(prisma, id);
    if (!row || row.tenantId !== input.tenant) return fail("not_found", `approval ${id} not found`, 404);
    const candidates = await kv.zrangeByScore(codesKey(id), -Infinity, Infinity, MAX_CODES_PER_APPROVAL);
    const approver = matchApprover(deps.hmacSecret, id, row.expiresAt, candidates, input.code);
    const legacy = legacyCode !== null && sameCode(input.code, legacyCode);
    if (approver) {
      return { ...(await decide({ id, tenant: input.tenant, approver, decision: "approved", via: "code", requireSignature: false, comment: `completed with ${approver}'s approval code by ${input.caller}` })), via: "code" };
    }
    if (legacy) {
      if (row.requiredApprovals !== 1 || row.approverGroup !== null) {
        return fail("legacy_code_not_allowed", `the global APPROVAL_CODE completes only approvals of 1 approver that name no group; this one needs ${row.requiredApprovals}${row.approverGroup ? ` from ${row.approverGroup}` : ""}: each approver reveals a personal code in the inbox`);
      }
      return { ...(await decide({ id, tenant: input.tenant, approver: LEGACY_CODE_APPROVER, decision: "approved", via: "code", requireSignature: false, legacyCode: true, comment: `completed with the legacy APPROVAL_CODE by ${input.caller}` })), via: "code" };
    }
    return fail("invalid_approval_code", "invalid approval code: ask an approver of this approval for their personal code (inbox: Reveal code)");
  }

  return { create, createFromPolicyDecision, get, list, decide, verify, consume, revealCode, completeWithCode, waitForResolution, expireDue, sweep, startSweeper, flush, close, bus, keys: { ttlKey, ttlMarker } };
}
