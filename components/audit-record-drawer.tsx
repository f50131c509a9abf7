"use client";

import { type ReactNode, useEffect } from "react";
import type { AuditRecordView } from "@/lib/audit/schemas";
import { useAuditRecord } from "@/lib/audit/use-audit-query";
import { formatDate } from "@/lib/console/format-date";
import { AuditDecisionBadge } from "./audit-decision-badge";
import { CopyableHash } from "./copyable-hash";

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[6.5rem_minmax(0,1fr)] gap-2 py-1 text-sm sm:grid-cols-[8rem_minmax(0,1fr)]">
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words">{children ?? "—"}</dd>
    </div>
  );
}

function Json({ value, label }: { value: unknown; label: string }) {
  return <pre aria-label={label} className="max-h-72 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{JSON.stringify(value, null, 2)}</pre>;
}

/** One record: what was decided, on which arguments, why (the trace), and where it sits in the chain. */
export function AuditRecordDrawer({ seq, initial, headSeq, onNavigate, onClose }: {
  seq: number;
  initial?: AuditRecordView;
  headSeq: number | null;
  onNavigate: (seq: number) => void;
  onClose: () => void;
}) {
  const { data: r, isLoading, error } = useAuditRecord(seq, initial);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") onClose(); };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const data = (r?.data ?? null) as { trace?: unknown } | null;
  return (
    <aside role="dialog" aria-modal="false" aria-labelledby="audit-record-title"
      className="fixed inset-y-0 right-0 z-20 w-full max-w-xl overflow-y-auto overflow-x-hidden border-l border-slate-200 bg-white p-5 shadow-xl">
      <div className="flex items-start justify-between gap-3">
        <h2 id="audit-record-title" className="text-lg font-semibold">Record #{seq}</h2>
        <button type="button" onClick={onClose} className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">Close</button>
      </div>
      {isLoading && <p className="mt-4 text-sm text-slate-600">Loading…</p>}
      {error && <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{(error as Error).message}</p>}
      {!isLoading && !error && !r && <p className="mt-4 text-sm text-slate-600">There is no record #{seq} in this tenant&apos;s chain.</p>}
      {r && (
        <div className="mt-4 space-y-5">
          <section aria-label="Summary">
            <dl>
              <Field label="Kind">{r.kind}</Field>
              <Field label="Time"><time dateTime={r.ts}>{formatDate(r.ts)}</time></Field>
              <Field label="Subject">{r.subject}</Field>
              <Field label="Tool"><span className="font-mono">{r.tool ?? "—"}</span></Field>
              <Field label="Decision"><AuditDecisionBadge decision={r.decision} outcome={r.upstream_outcome} /></Field>
              <Field label="Rule">{r.rule}</Field>
              <Field label="Reason">{r.reason}</Field>
              <Field label="Policy version">{r.policy_version}</Field>
              <Field label="Approval">{r.approval_id}</Field>
              <Field label="Trace ID"><CopyableHash value={r.trace_id} label="trace ID" /></Field>
              <Field label="Latency">{r.latency_ms === null ? null : `${r.latency_ms} ms`}</Field>
              <Field label="Upstream">{r.upstream_outcome}</Field>
            </dl>
          </section>
          <section>
            <h3 className="text-sm font-semibold">Arguments</h3>
            <div className="mb-1 text-xs text-slate-500">Stored redacted; digest of the original arguments: <CopyableHash value={r.args_digest} label="arguments digest" /></div>
            <Json value={r.args} label="Arguments" />
          </section>
          <section>
            <h3 className="text-sm font-semibold">{data?.trace ? "Decision trace" : "Details"}</h3>
            <Json value={data?.trace ?? r.data} label={data?.trace ? "Decision trace" : "Details"} />
          </section>
          <section aria-label="Chain links">
            <h3 className="text-sm font-semibold">Chain links</h3>
            <dl className="mt-1">
              <Field label="Previous hash"><CopyableHash value={r.prev_hash} label="previous hash" /></Field>
              <Field label="Hash"><CopyableHash value={r.hash} label="hash" /></Field>
            </dl>
            <div className="mt-2 flex gap-2">
              <button type="button" disabled={r.seq <= 1} onClick={() => onNavigate(r.seq - 1)}
                className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50 disabled:opacity-50">← Previous record</button>
              <button type="button" disabled={headSeq !== null && r.seq >= headSeq} onClick={() => onNavigate(r.seq + 1)}
                className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50 disabled:opacity-50">Next record →</button>
            </div>
          </section>
        </div>
      )}
    </aside>
  );
}
