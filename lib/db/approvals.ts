import { randomUUID } from "node:crypto";
import type { Queryer } from "./audit-records";
import type { Prisma, PrismaClient } from "./generated/client";

/** Approvals and their votes: Postgres is the source of truth (Redis only indexes and signals). */

export type ApprovalRow = Prisma.ApprovalGetPayload<{ include: { votes: true } }>;

const withVotes = { votes: { orderBy: [{ createdAt: "asc" as const }, { id: "asc" as const }] } } satisfies Prisma.ApprovalInclude;

// Votes and expiry take a row lock; a burst of votes on one approval queues instead of failing.
const TX = { maxWait: 15_000, timeout: 15_000 } as const;

export interface NewApprovalRow {
  id: string;
  tenantId: string;
  subject: string;
  requestedBy: string | null;
  ruleHash: string | null;
  quorumSource: "rule" | "requester";
  tool: string;
  argsDigest: string;
  args: Prisma.InputJsonValue;
  summary: string | null;
  reason: string | null;
  rule: string | null;
  approverGroup: string | null;
  requiredApprovals: number;
  policyVersion: number | null;
  traceId: string | null;
  context: Prisma.InputJsonValue | null;
  createdAt: Date;
  expiresAt: Date;
}

function isUniqueViolation(err: unknown) {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2002";
}

export function isForeignKeyViolation(err: unknown) {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2003";
}

/** Inserts, or returns the existing row with that id (the caller decides whether it is the same request). */
export async function insertApproval(prisma: PrismaClient, row: NewApprovalRow): Promise<{ row: ApprovalRow; created: boolean }> {
  const { context, ...rest } = row;
  try {
    const created = await prisma.approval.create({
      data: { ...rest, status: "pending", ...(context === null ? {} : { context }) },
      include: withVotes,
    });
    return { row: created, created: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const existing = await findApproval(prisma, row.id);
    if (!existing) throw err;
    return { row: existing, created: false };
  }
}

export async function findApproval(prisma: PrismaClient, id: string): Promise<ApprovalRow | null> {
  return prisma.approval.findUnique({ where: { id }, include: withVotes });
}

export interface ApprovalFilter {
  tenantId: string;
  /** Effective status: "pending" excludes overdue rows, "expired" includes them. */
  status?: "pending" | "approved" | "rejected" | "expired" | "executed";
  tool?: string;
  subject?: string;
  before?: Date;
  limit: number;
  now: Date;
}

export async function listApprovals(prisma: PrismaClient, f: ApprovalFilter): Promise<ApprovalRow[]> {
  const where: Prisma.ApprovalWhereInput = { tenantId: f.tenantId };
  if (f.tool) where.tool = f.tool;
  if (f.subject) where.subject = f.subject;
  if (f.before) where.createdAt = { lt: f.before };
  if (f.status === "pending") Object.assign(where, { status: "pending", expiresAt: { gt: f.now } });
  else if (f.status === "expired") where.OR = [{ status: "expired" }, { status: "pending", expiresAt: { lte: f.now } }];
  else if (f.status) where.status = f.status;
  return prisma.approval.findMany({ where, include: withVotes, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: f.limit });
}

export interface ApprovalMutation<R> {
  /** New status and timestamps to write; omitted when nothing changes. */
  update?: { status: string; resolvedAt?: Date | null; executedAt?: Date | null };
  vote?: { approver: string; decision: string; comment: string | null; signature: string | null; via: string; createdAt: Date };
  result: R;
}

interface RawApproval {
  id: string;
  tenant_id: string;
  subject: string;
  requested_by: string | null;
  rule_hash: string | null;
  quorum_source: string;
  tool: string;
  args_digest: string;
  args: Prisma.JsonValue;
  summary: string | null;
  reason: string | null;
  rule: string | null;
  approver_group: string | null;
  required_approvals: number;
  policy_version: number | null;
  status: string;
  trace_id: string | null;
  context: Prisma.JsonValue | null;
  created_at: Date;
  expires_at: Date;
  resolved_at: Date | null;
  executed_at: Date | null;
  slack_channel: string | null;
  slack_ts: string | null;
}

interface RawVote {
  id: string;
  approval_id: string;
  approver: string;
  decision: string;
  comment: string | null;
  signature: string | null;
  via: string;
  created_at: Date;
}

function fromRaw(a: RawApproval, votes: RawVote[]): ApprovalRow {
  return {
    id: a.id, tenantId: a.tenant_id, subject: a.subject, requestedBy: a.requested_by, ruleHash: a.rule_hash, quorumSource: a.quorum_source, tool: a.tool, argsDigest: a.args_digest, args: a.args,
    summary: a.summary, reason: a.reason, rule: a.rule, approverGroup: a.approver_group, requiredApprovals: a.required_approvals,
    policyVersion: a.policy_version, status: a.status, traceId: a.trace_id, context: a.context, createdAt: a.created_at, expiresAt: a.expires_at,
    resolvedAt: a.resolved_at, executedAt: a.executed_at, slackChannel: a.slack_channel, slackTs: a.slack_ts,
    votes: votes.map((v) => ({ id: v.id, approvalId: v.approval_id, approver: v.approver, decision: v.decision, comment: v.comment, signature: v.signature, via: v.via, createdAt: v.created_at })),
  };
}

export interface LockedMembership {
  roles: string[];
  groups: string[];
}

/** Memberships in the approval's tenant, by user id (null: not a member). */
export type VoterMemberships = Map<string, LockedMembership | null>;

// json_agg renders "timestamp without time zone" without a zone; the columns hold UTC.
const utc = (v: string | Date) => (v instanceof Date ? v : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`));

/**
 * Runs `decide` on the row under a row lock (SELECT … FOR UPDATE), then writes what it returns,
 * in one transaction: concurrent votes and the sweeper see each other's effects, never interleave.
 * This is the approve → wake-up hot path, so it is three statements inside the transaction: the
 * lock, one read (votes and, with `memberOf`, that user's membership in the approval's tenant)
 * and one write (vote and status together).
 */
export async function mutateApprovalLocked<R>(
  prisma: PrismaClient,
  id: string,
  decide: (row: ApprovalRow, membership: LockedMembership | null, voters: VoterMemberships) => ApprovalMutation<R>,
  opts: {
    memberOf?: string;
    voterMemberships?: boolean;
    /**
     * More writes in the same transaction, after the approval's own (the audit record of the call
     * a consumed approval allows): they commit together or not at all. Throwing rolls back both.
     */
    within?: (q: Queryer, row: ApprovalRow, result: R) => Promise<void>;
  } = {},
): Promise<{ row: ApprovalRow; result: R; changed: boolean } | null> {
  const member = opts.memberOf ?? null;
  return prisma.$transaction(async (tx) => {
    // Lock first, then read the votes in a second statement: under READ COMMITTED a statement
    // that waited for the lock re-reads the locked row but not its subqueries, which would miss
    // the votes committed by the transaction it waited for (caught by the concurrency test).
    const locked = await tx.$queryRaw<RawApproval[]>`SELECT * FROM "approvals" WHERE "id" = ${id} FOR UPDATE`;
    if (locked.length === 0) return null;
    const [{ votes_json, membership_json }] = await tx.$queryRaw<{ votes_json: (Omit<RawVote, "created_at"> & { created_at: string })[]; membership_json: LockedMembership | null }[]>`
      SELECT
        COALESCE((SELECT json_agg(json_build_object('id', v.id, 'approval_id', v.approval_id, 'approver', v.approver, 'decision', v.decision,
            'comment', v.comment, 'signature', v.signature, 'via', v.via, 'created_at', v.created_at) ORDER BY v.created_at, v.id)
          FROM "approval_votes" v WHERE v.approval_id = ${id}), '[]'::json) AS votes_json,
        (SELECT json_build_object('roles', m.roles, 'groups', m.groups) FROM "memberships" m
          WHERE m.tenant_id = ${locked[0].tenant_id} AND m.user_id = ${member}) AS membership_json`;
    const row = fromRaw(locked[0], votes_json.map((v) => ({ ...v, created_at: utc(v.created_at) })));
    const voters: VoterMemberships = new Map();
    if (opts.voterMemberships && row.votes.length > 0) {
      // Memberships as they are now, read inside the lock: a vote by someone removed from the
      // group since no longer counts when the approval is used.
      const ids = [...new Set(row.votes.map((v) => v.approver))];
      for (const id of ids) voters.set(id, null);
      const ms = await tx.$queryRaw<{ user_id: string; roles: string[]; groups: string[] }[]>`
        SELECT "user_id", "roles", "groups" FROM "memberships" WHERE "tenant_id" = ${row.tenantId} AND "user_id" = ANY(${ids})`;
      for (const m of ms) voters.set(m.user_id, { roles: m.roles ?? [], groups: m.groups ?? [] });
    }
    const m = decide(row, membership_json ? { roles: membership_json.roles ?? [], groups: membership_json.groups ?? [] } : null, voters);
    const within = opts.within;
    const q: Queryer = (text, params) => tx.$queryRawUnsafe<Record<string, unknown>[]>(text, ...(params ?? []));
    if (!m.update && !m.vote) {
      if (within) await within(q, row, m.result);
      return { row, result: m.result, changed: false };
    }
    const next: ApprovalRow = { ...row, votes: [...row.votes] };
    const status = m.update?.status ?? row.status;
    const resolvedAt = m.update?.resolvedAt === undefined ? row.resolvedAt : m.update.resolvedAt;
    const executedAt = m.update?.executedAt === undefined ? row.executedAt : m.update.executedAt;
    if (m.vote) {
      const v = { id: `vote_${randomUUID()}`, approvalId: id, ...m.vote };
      await tx.$executeRaw`WITH vote AS (
          INSERT INTO "approval_votes" ("id", "approval_id", "approver", "decision", "comment", "signature", "via", "created_at")
          VALUES (${v.id}, ${id}, ${v.approver}, ${v.decision}, ${v.comment}, ${v.signature}, ${v.via}, ${v.createdAt}))
        UPDATE "approvals" SET "status" = ${status}, "resolved_at" = ${resolvedAt}, "executed_at" = ${executedAt} WHERE "id" = ${id}`;
      next.votes.push(v);
    } else {
      await tx.$executeRaw`UPDATE "approvals" SET "status" = ${status}, "resolved_at" = ${resolvedAt}, "executed_at" = ${executedAt} WHERE "id" = ${id}`;
    }
    Object.assign(next, { status, resolvedAt, executedAt });
    if (within) await within(q, next, m.result);
    return { row: next, result: m.result, changed: true };
  }, TX);
}

/** Every pending approval, for rebuilding the Redis TTL index after Redis lost it. */
export async function listPendingExpiries(prisma: PrismaClient): Promise<{ id: string; expiresAt: Date }[]> {
  return prisma.approval.findMany({ where: { status: "pending" }, select: { id: true, expiresAt: true } });
}

/** Overdue pending approvals (uses the (status, expires_at) index): the sweeper's Redis-independent backstop. */
export async function listOverduePending(prisma: PrismaClient, now: Date, limit: number): Promise<string[]> {
  const rows = await prisma.approval.findMany({
    where: { status: "pending", expiresAt: { lte: now } },
    select: { id: true },
    orderBy: { expiresAt: "asc" },
    take: limit,
  });
  return rows.map((r) => r.id);
}

export async function setSlackMessage(prisma: PrismaClient, id: string, slackChannel: string, slackTs: string) {
  await prisma.approval.update({ where: { id }, data: { slackChannel, slackTs } });
}
