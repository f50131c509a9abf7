import type { AccessEvent } from "@/lib/access/events";
import type { ApprovalEvent } from "@/lib/approvals/events";
import type { AuditInput } from "@/lib/audit/schemas";
import type { LoginEvent } from "@/lib/auth/next-auth";

/**
 * How domain events become audit records. Approvals, access and auth emit events and never import
 * the audit log; the composition root registers these mappings on them.
 */

/** Maps a membership event to its audit record. */
export function accessRecordOf(e: AccessEvent): AuditInput {
  return { tenant: e.tenant, kind: "rbac_change", subject: e.actor, reason: `roles of ${e.user} changed`, data: { user: e.user, before: e.before, after: e.after } };
}

/** Maps an approval lifecycle event to its audit record. */
export function auditRecordOf(e: ApprovalEvent): AuditInput {
  switch (e.kind) {
    case "approval_code_revealed":
      return { tenant: e.tenant, kind: "approval_vote", subject: e.actor, approvalId: e.approvalId, decision: "code_revealed", reason: `${e.actor} revealed their approval code`, data: { action: "code" } };
    case "approval_refused":
      return { tenant: e.tenant, kind: "approval_vote", subject: e.actor, approvalId: e.approvalId, decision: "refused", reason: e.message, data: { action: e.action, code: e.code } };
    default: {
      const a = e.approval;
      const vote = e.kind === "approval_vote" ? e.vote : undefined;
      return {
        tenant: a.tenant,
        kind: e.kind === "approval_executed" ? "approval_resolution" : e.kind,
        traceId: a.trace_id,
        subject: e.actor,
        tool: a.tool,
        argsDigest: a.args_digest,
        decision: vote ? vote.decision : a.status,
        rule: a.rule,
        reason: vote?.comment ?? a.reason,
        policyVersion: a.policy_version,
        approvalId: a.id,
        data: { requester: a.subject, approvals: a.approvals, required_approvals: a.required_approvals, via: vote?.via ?? null, executed: e.kind === "approval_executed" },
      };
    }
  }
}

/** A console sign-in (accepted or refused) as its audit record. */
export function loginRecordOf(e: LoginEvent): AuditInput {
  return { tenant: e.tenant, kind: "login", subject: e.subject, decision: e.decision, reason: e.reason, data: e.data };
}

/** One line of APPROVALS_PATH (seed 004: `tail -f approvals.log | jq 'select(.status == "pending")'`). */
export function approvalLineOf(e: ApprovalEvent, at: Date): Record<string, unknown> | null {
  switch (e.kind) {
    case "approval_refused":
      return { ts: at.toISOString(), event: e.kind, id: e.approvalId, tenant: e.tenant, status: "refused", actor: e.actor, action: e.action, code: e.code, message: e.message };
    case "approval_code_revealed":
      return { ts: at.toISOString(), event: e.kind, id: e.approvalId, tenant: e.tenant, actor: e.actor };
    default: {
      const a = e.approval;
      return {
        ts: at.toISOString(),
        event: e.kind,
        id: a.id,
        tenant: a.tenant,
        status: a.status,
        tool: a.tool,
        subject: a.subject,
        actor: e.actor,
        ...(e.kind === "approval_vote" ? { vote: e.vote.decision, via: e.vote.via } : {}),
        approvals: a.approvals,
        required_approvals: a.required_approvals,
        approver_group: a.approver_group,
        rule: a.rule,
        expires_at: a.expires_at,
      };
    }
  }
}
