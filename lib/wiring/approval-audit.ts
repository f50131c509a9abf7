import { type ApprovalEvent, onApprovalEvent } from "@/lib/approvals/events";
import { appendAudit, jsonlSink } from "@/lib/audit";
import { env } from "@/lib/env";
import { log } from "@/lib/log";
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

/** One line of APPROVALS_PATH (seed 004: `tail -f approvals.log | jq 'select(.status == "pending")'`). */
export function approvalLineOf(e: ApprovalEvent, at: Date): Record<string, unknown> | null {
  switch (e.kind) {
    case "rbac_change":
      return null;
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

const g = globalThis as { __canopyApprovalAuditWired?: boolean };

/** Records every approval request, vote, refusal and resolution in the audit log (once per process). */
export function wireApprovalAudit() {
  if (g.__canopyApprovalAuditWired) return;
  g.__canopyApprovalAuditWired = true;
  const e = env();
  const file = e.APPROVALS_PATH ? jsonlSink(e.APPROVALS_PATH, { maxBytes: e.JSONL_MAX_BYTES, log: log().child({ module: "approvals-file" }) }) : null;
  onApprovalEvent(async (ev) => {
    const line = file ? approvalLineOf(ev, new Date()) : null;
    if (line) file!.write(line);
    await appendAudit(auditRecordOf(ev));
  });
}
