"use client";

import { formatDate } from "@/lib/console/format-date";
import { useId, useState } from "react";
import { ApprovalCodeReveal } from "@/components/approval-code-reveal";
import { ApprovalStatusBadge } from "@/components/approval-status-badge";
import { ExpiryCountdown } from "@/components/expiry-countdown";
import { QuorumProgress } from "@/components/quorum-progress";
import type { ApprovalView } from "@/lib/approvals/schemas";
import { useDecideMutation } from "@/lib/console/use-approvals-query";

/** One approval: the call, why it needs a human, who decided so far, and (for eligible approvers) the decision. */
export function ApprovalCard({ approval: a, highlighted = false }: { approval: ApprovalView; highlighted?: boolean }) {
  const decide = useDecideMutation();
  const [comment, setComment] = useState("");
  const commentId = useId();
  const pending = a.status === "pending";
  const canDecide = pending && a.viewer?.can_decide === true;
  const why = a.viewer?.voted ? `You ${a.viewer.voted} this request.` : a.viewer?.reason;

  const submit = (decision: "approved" | "rejected") =>
    decide.mutate({ id: a.id, decision, comment: comment.trim() || undefined }, { onSuccess: () => setComment("") });

  return (
    <article aria-label={`Approval ${a.id}`} data-approval-id={a.id} data-status={a.status}
      className={`rounded-xl border bg-white p-4 sm:p-5 ${highlighted ? "border-canopy-600 ring-2 ring-canopy-600/30" : "border-slate-200"}`}>
      <header className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="text-base font-semibold break-words">{a.summary ?? `${a.tool} by ${a.subject}`}</h2>
          <p className="mt-0.5 text-xs text-slate-600">
            <code className="font-mono">{a.id}</code> · requested by <span className="font-medium">{a.subject}</span>
            {a.requested_by !== a.subject && <> (filed by {a.requested_by})</>} · {formatDate(a.created_at)}
          </p>
        </div>
        <div className="flex items-center gap-2 text-xs">
          <ApprovalStatusBadge status={a.status} />
          {pending && <ExpiryCountdown expiresAt={a.expires_at} />}
        </div>
      </header>

      <dl className="mt-3 grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[8rem_1fr]">
        <dt className="text-slate-600">Call</dt>
        <dd><code className="font-mono">{a.tool}</code></dd>
        <dt className="text-slate-600">Rule</dt>
        <dd>{a.rule ?? "—"}{a.policy_version !== null && <span className="text-slate-500"> (policy v{a.policy_version})</span>}</dd>
        <dt className="text-slate-600">Reason</dt>
        <dd>{a.reason ?? "—"}</dd>
        <dt className="text-slate-600">Approvers</dt>
        <dd>
          {a.approver_group ? <>group <span className="font-medium">{a.approver_group}</span></> : "any approver of the tenant"}
          <span className="text-slate-500">
            {a.quorum_source === "rule" ? " · set by the policy rule" : " · as asked by whoever filed it (it cannot unlock a call a rule gates)"}
          </span>
        </dd>
        <dt className="text-slate-600">Arguments</dt>
        <dd className="min-w-0">
          <pre className="max-h-48 overflow-auto rounded-md bg-slate-900 p-2 text-xs text-slate-100">{JSON.stringify(a.args, null, 2)}</pre>
        </dd>
      </dl>

      <div className="mt-4">
        <QuorumProgress approvals={a.approvals} required={a.required_approvals} votes={a.votes} />
      </div>

      {pending && (
        <div className="mt-4 border-t border-slate-100 pt-4">
          <label htmlFor={commentId} className="block text-sm font-medium text-slate-700">Comment (optional)</label>
          <textarea id={commentId} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} disabled={!canDecide || decide.isPending} maxLength={2000}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm disabled:bg-slate-50" />
          <div className="mt-3 flex flex-wrap items-center gap-2">
            <button type="button" onClick={() => submit("approved")} disabled={!canDecide || decide.isPending}
              className="rounded-md bg-canopy-700 px-4 py-2 text-sm font-semibold text-white hover:bg-canopy-900 disabled:cursor-not-allowed disabled:opacity-50">
              Approve
            </button>
            <button type="button" onClick={() => submit("rejected")} disabled={!canDecide || decide.isPending}
              className="rounded-md border border-red-300 bg-white px-4 py-2 text-sm font-semibold text-red-700 hover:bg-red-50 disabled:cursor-not-allowed disabled:opacity-50">
              Deny
            </button>
            {!canDecide && why && <p className="text-xs text-slate-600">{why}</p>}
          </div>
          {canDecide && <ApprovalCodeReveal id={a.id} />}
          {decide.error && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{decide.error.message}</p>}
        </div>
      )}
    </article>
  );
}
