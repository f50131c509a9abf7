import type { Principal } from "@/lib/auth/principal";
import type { Services } from "@/lib/server/types";
import { requireTenant } from "@/lib/auth/tenant-scope";
import { getMembership } from "@/lib/db/users";
import { forbidden } from "@/lib/errors";
import type { NewApproval } from "./service";
import type { CompleteBody, CreateApprovalBody, DecideBody, ListQuery, RequestApprovalBody } from "./schemas";

/**
 * What the route handlers call: each maps one authenticated request onto the approval service,
 * so the handlers stay parse → one call → return, and the rules about who may do what live here.
 */

interface HandFiled {
  tenant: string;
  subject: string;
  tool: string;
  args: Record<string, unknown>;
  approverGroup?: string | null;
  requiredApprovals?: number;
  expiresInSeconds?: number;
}

/**
 * A request filed by hand (seed 000 create, seed 003 request) asks the active policy how it would
 * decide that exact call for its subject. When a rule asks for approval, the approval takes that
 * rule's identity, group and at least its quorum (a requester can raise the quorum, never lower
 * it, and cannot pick the group), so it can unlock the call once the rule's approvers agree.
 * Otherwise it is the requester's own out-of-band approval: its quorum and group are as asked,
 * and it can never unlock a call a rule gates (see state-machine `execute`).
 */
async function quorumOf(svc: Services, principal: Principal, req: HandFiled): Promise<Pick<NewApproval, "ruleHash" | "quorumSource" | "rule" | "approverGroup" | "requiredApprovals" | "expiresInSeconds" | "policyVersion">> {
  const asked = { ruleHash: null, quorumSource: "requester" as const, approverGroup: req.approverGroup ?? null, requiredApprovals: req.requiredApprovals, expiresInSeconds: req.expiresInSeconds };
  let roles: string[] = [];
  if (principal.subject === req.subject) roles = principal.roles;
  else {
    const { prisma } = await svc.db();
    roles = (await getMembership(prisma, req.tenant, req.subject))?.roles ?? [];
  }
  const { decision, policyVersion } = await svc.gateway.decision({ kind: "token", tenant: req.tenant, subject: req.subject, roles }, { tool: req.tool, arguments: req.args });
  if (decision.decision !== "approval" || !decision.rule_hash) return asked;
  const ruleSeconds = decision.expires_in_seconds;
  return {
    ruleHash: decision.rule_hash,
    quorumSource: "rule",
    rule: decision.rule,
    policyVersion,
    approverGroup: decision.approver_group,
    requiredApprovals: Math.max(req.requiredApprovals ?? 1, decision.required_approvals ?? 1),
    expiresInSeconds: req.expiresInSeconds !== undefined && ruleSeconds !== null ? Math.min(req.expiresInSeconds, ruleSeconds) : (req.expiresInSeconds ?? ruleSeconds),
  };
}

/** Seed 000 `POST /approvals/create`: the caller files an approval for `subject`'s call in its own tenant. */

export async function createFromSeed000(svc: Services, principal: Principal, body: CreateApprovalBody) {
  requireTenant(principal, body.tenant);
  const quorum = await quorumOf(svc, principal, {
    tenant: body.tenant,
    subject: body.subject,
    tool: body.tool,
    args: body.args,
    approverGroup: body.approver_group,
    requiredApprovals: body.required_approvals,
    expiresInSeconds: body.expires_in_seconds,
  });
  const { approval, created } = await (await svc.approvals()).create({
    id: body.pending_id,
    tenant: body.tenant,
    subject: body.subject,
    requestedBy: principal.subject,
    tool: body.tool,
    args: body.args,
    summary: body.summary,
    reason: body.reason,
    rule: body.rule,
    ...quorum,
  });
  return { approval: { ...approval, pending_id: body.pending_id ?? approval.id }, created };
}

/** Seed 003 `POST /api/v1/approvals`: `agent` is the requester the approval binds, `action` the tool, `context` the arguments. */

export async function requestFromSeed003(svc: Services, principal: Principal, body: RequestApprovalBody) {
  const quorum = await quorumOf(svc, principal, {
    tenant: principal.tenant,
    subject: body.agent,
    tool: body.action,
    args: body.context,
    approverGroup: body.approver_group,
    requiredApprovals: body.required_approvals,
    expiresInSeconds: body.expires_in_seconds,
  });
  return (await svc.approvals()).create({
    tenant: principal.tenant,
    subject: body.agent,
    requestedBy: principal.subject,
    tool: body.action,
    args: body.context,
    context: body.context,
    reason: body.reason,
    summary: body.summary ?? body.reason ?? `${body.action} by ${body.agent}`,
    ...quorum,
  });
}


export async function listForPrincipal(svc: Services, principal: Principal, q: ListQuery) {
  requireTenant(principal, q.tenant);
  return (await svc.approvals()).list({ ...q, tenant: principal.tenant }, principal.subject);
}


export async function getForPrincipal(svc: Services, principal: Principal, id: string) {
  return (await svc.approvals()).get(id, principal.tenant, principal.subject);
}

/**
 * Seed 003 decision. The approver is always the caller (no deciding on someone else's behalf).
 * Token callers prove the decision with the HMAC signature; a console session is itself the proof
 * (the server signs, so /verify works for inbox decisions too).
 */

export async function decideAsPrincipal(svc: Services, principal: Principal, id: string, body: DecideBody) {
  const approver = body.approver ?? principal.subject;
  if (approver !== principal.subject) {
    throw forbidden(`approver must be the authenticated caller (${principal.subject}), not ${approver}`);
  }
  return (await svc.approvals()).decide({
    id,
    tenant: principal.tenant,
    approver,
    decision: body.decision,
    comment: body.comment,
    signature: body.signature,
    via: principal.kind === "session" ? "inbox" : "api",
    requireSignature: principal.kind !== "session",
  });
}


export async function verifyForPrincipal(svc: Services, principal: Principal, id: string, body: { signature: string; decision?: "approved" | "rejected"; approver?: string }) {
  return (await svc.approvals()).verify({ id, tenant: principal.tenant, ...body });
}

/** The caller's personal approval code for a pending approval it could vote on (inbox "Reveal code"). */
export async function revealCodeForPrincipal(svc: Services, principal: Principal, id: string) {
  return (await svc.approvals()).revealCode({ id, tenant: principal.tenant, approver: principal.subject });
}

/** Seed 004 `POST /approvals/complete`: whoever holds an approver's code casts that approver's vote. */
export async function completeForPrincipal(svc: Services, principal: Principal, body: CompleteBody) {
  return (await svc.approvals()).completeWithCode({ id: body.dry_run_id, tenant: principal.tenant, caller: principal.subject, code: body.approval_code });
}

/**
 * Seed 000's wait_for_resolution as a long poll: answers as soon as the approval leaves pending
 * (the same pub/sub wake-up the gateway's sync wait uses), or when `timeoutSeconds` pass.
 */
export async function waitForPrincipal(svc: Services, principal: Principal, id: string, timeoutSeconds: number) {
  const service = await svc.approvals();
  await service.get(id, principal.tenant);
  const r = await service.waitForResolution(id, Math.round(timeoutSeconds * 1000));
  const approval = await service.get(id, principal.tenant, principal.subject);
  return { id: approval.id, status: approval.status, timed_out: r.timedOut && approval.status === "pending", approval };
}
