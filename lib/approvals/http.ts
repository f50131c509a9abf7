import type { Principal } from "@/lib/auth/principal";
import { requireTenant } from "@/lib/auth/with-auth";
import { getDb } from "@/lib/db";
import { forbidden } from "@/lib/errors";
import { approvals } from "./index";
import { getTenantUser, putTenantUser } from "./members";
import type { CreateApprovalBody, DecideBody, ListQuery, RbacPutBody, RequestApprovalBody } from "./schemas";

/**
 * What the route handlers call: each maps one authenticated request onto the approval service,
 * so the handlers stay parse → one call → return, and the rules about who may do what live here.
 */

/** Seed 000 `POST /approvals/create`: the caller files an approval for `subject`'s call in its own tenant. */
export async function createFromSeed000(principal: Principal, body: CreateApprovalBody) {
  requireTenant(principal, body.tenant);
  const { approval, created } = await (await approvals()).create({
    id: body.pending_id,
    tenant: body.tenant,
    subject: body.subject,
    requestedBy: principal.subject,
    tool: body.tool,
    args: body.args,
    summary: body.summary,
    reason: body.reason,
    rule: body.rule,
    approverGroup: body.approver_group,
    requiredApprovals: body.required_approvals,
    expiresInSeconds: body.expires_in_seconds,
  });
  return { approval: { ...approval, pending_id: body.pending_id ?? approval.id }, created };
}

/** Seed 003 `POST /api/v1/approvals`: `agent` is the requester the approval binds, `action` the tool, `context` the arguments. */
export async function requestFromSeed003(principal: Principal, body: RequestApprovalBody) {
  return (await approvals()).create({
    tenant: principal.tenant,
    subject: body.agent,
    requestedBy: principal.subject,
    tool: body.action,
    args: body.context,
    context: body.context,
    reason: body.reason,
    summary: body.summary ?? body.reason ?? `${body.action} by ${body.agent}`,
    approverGroup: body.approver_group,
    requiredApprovals: body.required_approvals,
    expiresInSeconds: body.expires_in_seconds,
  });
}

export async function listForPrincipal(principal: Principal, q: ListQuery) {
  requireTenant(principal, q.tenant);
  return (await approvals()).list({ ...q, tenant: principal.tenant }, principal.subject);
}

export async function getForPrincipal(principal: Principal, id: string) {
  return (await approvals()).get(id, principal.tenant, principal.subject);
}

/**
 * Seed 003 decision. The approver is always the caller (no deciding on someone else's behalf).
 * Token callers prove the decision with the HMAC signature; a console session is itself the proof
 * (the server signs, so /verify works for inbox decisions too).
 */
export async function decideAsPrincipal(principal: Principal, id: string, body: DecideBody) {
  const approver = body.approver ?? principal.subject;
  if (approver !== principal.subject) {
    throw forbidden(`approver must be the authenticated caller (${principal.subject}), not ${approver}`);
  }
  return (await approvals()).decide({
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

export async function verifyForPrincipal(principal: Principal, id: string, body: { signature: string; decision?: "approved" | "rejected"; approver?: string }) {
  return (await approvals()).verify({ id, tenant: principal.tenant, ...body });
}

export async function setTenantUser(principal: Principal, tenant: string, user: string, body: RbacPutBody) {
  const { prisma } = await getDb();
  return putTenantUser(prisma, { tenant, user, actor: principal.subject, body });
}

export async function readTenantUser(tenant: string, user: string) {
  const { prisma } = await getDb();
  return getTenantUser(prisma, tenant, user);
}
