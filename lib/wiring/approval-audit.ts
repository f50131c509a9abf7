import { type ApprovalEvent, onApprovalEvent } from "@/lib/approvals/events";
import { appendAudit } from "@/lib/audit";
import type { AuditInput } from "@/lib/audit/schemas";

/** Maps an approval lifecycle event to its audit record. */
export function auditRecordOf(e: ApprovalEvent): AuditInput {
  switch (e.kind) {
    case "rbac_change":
      return { tenant: e.tenant, kind: "rbac_change", subject: e.actor, reason: `roles of ${e.user} changed`, data: { user: e.user, before: e.before, after: e.after } };
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

const g = globalThis as { __canopyApprovalAuditWired?: boolean };

/** Records every approval request, vote, refusal and resolution in the audit log (once per process). */
export function wireApprovalAudit() {
  if (g.__canopyApprovalAuditWired) return;
  g.__canopyApprovalAuditWired = true;
  onApprovalEvent(async (e) => {
    await appendAudit(auditRecordOf(e));
  });
}
