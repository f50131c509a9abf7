"use client";

import { useState } from "react";
import { ApprovalCard } from "@/components/approval-card";
import { EmptyState } from "@/components/empty-state";
import { type ApprovalFilter, useApprovalsQuery } from "@/lib/console/use-approvals-query";

type HistoryStatus = Exclude<ApprovalFilter["status"], "pending">;

/** Pending approvals first (live), then the history with filters. */
export function ApprovalInbox({ focusId }: { focusId?: string }) {
  const [tab, setTab] = useState<"pending" | "history">("pending");
  const [status, setStatus] = useState<HistoryStatus>("all");
  const [tool, setTool] = useState("");
  const [subject, setSubject] = useState("");
  const pending = useApprovalsQuery({ status: "pending", limit: 100 }, { refetchMs: 2_000 });
  const history = useApprovalsQuery({ status, tool: tool.trim() || undefined, subject: subject.trim() || undefined, limit: 100 }, { refetchMs: 5_000 });
  const pendingCount = pending.data?.approvals.length;
  const historyItems = history.data?.approvals.filter((a) => a.status !== "pending") ?? [];

  return (
    <div>
      <div role="tablist" aria-label="Approvals" className="mb-4 flex gap-2">
        {(["pending", "history"] as const).map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}
            className={`rounded-md px-3 py-1.5 text-sm font-medium ${tab === t ? "bg-canopy-700 text-white" : "border border-slate-300 bg-white text-slate-700 hover:bg-slate-50"}`}>
            {t === "pending" ? `Pending${pendingCount !== undefined ? ` (${pendingCount})` : ""}` : "History"}
          </button>
        ))}
      </div>

      {tab === "pending" && (
        <section aria-label="Pending approvals" className="space-y-4">
          {pending.isPending && <p className="text-sm text-slate-600">Loading…</p>}
          {pending.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{pending.error.message}</p>}
          {pending.data && pending.data.approvals.length === 0 && (
            <EmptyState title="No approvals waiting">
              <p>When a policy rule says <code className="font-mono">action: approval</code>, the call waits here for the approver group to decide.</p>
            </EmptyState>
          )}
          {pending.data?.approvals.map((a) => <ApprovalCard key={a.id} approval={a} highlighted={a.id === focusId} />)}
        </section>
      )}

      {tab === "history" && (
        <section aria-label="Approval history" className="space-y-4">
          <form className="flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white p-3" onSubmit={(e) => e.preventDefault()}>
            <label className="text-sm">
              <span className="block text-slate-600">Status</span>
              <select value={status} onChange={(e) => setStatus(e.target.value as HistoryStatus)} className="mt-1 rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                {(["all", "approved", "executed", "rejected", "expired"] as const).map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <label className="text-sm">
              <span className="block text-slate-600">Tool</span>
              <input value={tool} onChange={(e) => setTool(e.target.value)} placeholder="fs.write" className="mt-1 rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
            </label>
            <label className="text-sm">
              <span className="block text-slate-600">Requester</span>
              <input value={subject} onChange={(e) => setSubject(e.target.value)} placeholder="agent-42" className="mt-1 rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
            </label>
          </form>
          {history.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{history.error.message}</p>}
          {history.data && historyItems.length === 0 && <EmptyState title="Nothing decided yet"><p>Decided, executed and expired approvals appear here.</p></EmptyState>}
          {historyItems.map((a) => <ApprovalCard key={a.id} approval={a} highlighted={a.id === focusId} />)}
        </section>
      )}
    </div>
  );
}
