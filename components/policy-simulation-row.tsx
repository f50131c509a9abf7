"use client";

import { formatDate } from "@/lib/console/format-date";
import { useQuery } from "@tanstack/react-query";
import { memo, useState } from "react";
import { AuditDecisionBadge } from "@/components/audit-decision-badge";
import { PolicyTrace } from "@/components/policy-trace";
import type { SimulateResult } from "@/lib/console/policy-api";
import { APPROX_TEXT, type SimCase } from "@/lib/console/sim-cases";
import type { SimRow } from "@/lib/console/use-live-simulation";

export interface PolicySimulationRowProps {
  row: SimRow;
  /** One traced simulation of the case against the draft (on expand). */
  loadTrace?: (c: SimCase, signal: AbortSignal) => Promise<SimulateResult>;
  /** Identity of the policy the trace is for (the draft's hash). */
  traceKey: string | null;
  onSaveTestCase?: (row: SimRow) => void;
}

function when(ts: string): string {
  return Number.isNaN(Date.parse(ts)) ? ts : formatDate(ts);
}

/** Rows are rebuilt whenever any answer lands; a row re-renders only when its own answers change. */
function sameRow(a: PolicySimulationRowProps, b: PolicySimulationRowProps): boolean {
  const x = a.row;
  const y = b.row;
  return (
    x.case === y.case &&
    x.draft === y.draft &&
    x.active === y.active &&
    x.changed === y.changed &&
    x.approximate.join() === y.approximate.join() &&
    x.expectation?.pass === y.expectation?.pass &&
    x.expectation?.message === y.expectation?.message &&
    a.loadTrace === b.loadTrace &&
    a.traceKey === b.traceKey &&
    a.onSaveTestCase === b.onSaveTestCase
  );
}

/** One simulated call: the draft's decision, the active policy's when it differs, and on expand the rule, reason and trace. */
export const PolicySimulationRow = memo(function PolicySimulationRow({ row, loadTrace, traceKey, onSaveTestCase }: PolicySimulationRowProps) {
  const [open, setOpen] = useState(false);
  const c = row.case;
  const d = row.draft?.decision ?? null;
  const a = row.active?.decision ?? null;
  const trace = useQuery({
    queryKey: ["policy-sim-trace", traceKey, c.key],
    enabled: open && Boolean(loadTrace) && traceKey !== null,
    staleTime: Infinity,
    queryFn: ({ signal }) => loadTrace!(c, signal),
  });
  const approximate = row.approximate.length > 0;
  const regionId = `sim-${c.id.replace(/[^a-zA-Z0-9-]/g, "-")}`;
  const tone = row.changed ? "border-l-4 border-l-amber-500 bg-amber-50" : row.expectation && !row.expectation.pass ? "border-l-4 border-l-red-500 bg-red-50" : "";

  return (
    <li className={`border-b border-slate-100 ${tone}`} data-case-id={c.id} data-decision={d?.decision ?? ""} data-active-decision={a?.decision ?? ""} data-changed={row.changed ? "true" : "false"}>
      <button
        type="button"
        className="flex w-full flex-col gap-1 px-3 py-2 text-left hover:bg-slate-50 sm:flex-row sm:items-center sm:gap-3"
        aria-expanded={open}
        aria-controls={regionId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="flex min-w-0 flex-1 flex-col">
          <span className="truncate text-sm font-medium">
            {c.source === "test" && <span className="mr-1 rounded bg-sky-100 px-1.5 text-xs font-semibold text-sky-900">test</span>}
            {c.label}
          </span>
          <span className="truncate text-xs text-slate-500">
            {c.source === "recorded" ? `${c.call.subject ?? "unknown caller"} · ${when(c.recorded!.ts)}` : c.call.tool}
            {d && ` · ${d.rule ? `rule “${d.rule}”` : "default"}`}
          </span>
        </span>
        <span className="flex flex-wrap items-center gap-1.5">
          {approximate && (
            <span className="rounded-full bg-slate-200 px-2 py-0.5 text-xs text-slate-700" title={row.approximate.map((r) => APPROX_TEXT[r]).join("; ")}>
              approximate
            </span>
          )}
          {row.expectation && (
            <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${row.expectation.pass ? "bg-canopy-100 text-canopy-900" : "bg-red-100 text-red-800"}`} title={row.expectation.message}>
              {row.expectation.pass ? "pass" : "fail"}
            </span>
          )}
          {row.changed && a && <span className="text-xs text-amber-900">was {a.decision} →</span>}
          {d ? <AuditDecisionBadge decision={d.decision} /> : row.draft?.error ? <span className="text-xs text-red-700">error</span> : row.active?.decision && !row.draft ? <AuditDecisionBadge decision={row.active.decision.decision} /> : <span className="text-xs text-slate-400">…</span>}
        </span>
      </button>
      {open && (
        <div id={regionId} className="space-y-2 px-3 pb-3 text-sm" role="region" aria-label={`Simulation of ${c.label}`}>
          {row.draft?.error && <p className="text-xs text-red-700">{row.draft.error}</p>}
          {d && (
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
              <dt className="text-slate-500">Draft</dt>
              <dd>
                {d.decision} · {d.rule ? `rule “${d.rule}”` : "default"} — {d.reason}
              </dd>
              {a && (
                <>
                  <dt className="text-slate-500">Active</dt>
                  <dd>
                    {a.decision} · {a.rule ? `rule “${a.rule}”` : "default"} — {a.reason}
                  </dd>
                </>
              )}
              {c.recorded && (
                <>
                  <dt className="text-slate-500">Recorded</dt>
                  <dd>
                    {c.recorded.decision ?? "—"} by version {c.recorded.policy_version ?? "—"} (audit #{c.recorded.seq})
                  </dd>
                </>
              )}
              {row.expectation && (
                <>
                  <dt className="text-slate-500">Expected</dt>
                  <dd>{row.expectation.message}</dd>
                </>
              )}
            </dl>
          )}
          {approximate && (
            <ul className="list-disc pl-5 text-xs text-slate-600">
              {row.approximate.map((r) => (
                <li key={r}>{APPROX_TEXT[r]}</li>
              ))}
            </ul>
          )}
          <details className="text-xs">
            <summary className="cursor-pointer text-slate-600">Call</summary>
            <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-900 p-2 text-slate-100">{JSON.stringify(c.call, null, 2)}</pre>
          </details>
          <div>
            <p className="mb-1 text-xs font-semibold text-slate-700">Trace (draft)</p>
            {!loadTrace || traceKey === null ? (
              <p className="text-xs text-slate-500">The trace needs a draft that validates and the policies.write permission.</p>
            ) : trace.isPending ? (
              <p className="text-xs text-slate-500">Tracing…</p>
            ) : trace.isError ? (
              <p className="text-xs text-red-700">{(trace.error as Error).message}</p>
            ) : trace.data?.decision?.trace ? (
              <PolicyTrace trace={trace.data.decision.trace} />
            ) : (
              <p className="text-xs text-red-700">{trace.data?.errors.map((e) => e.message).join("; ") || "no trace"}</p>
            )}
          </div>
          {onSaveTestCase && d && c.source === "recorded" && (
            <button type="button" className="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium hover:bg-slate-100" onClick={() => onSaveTestCase(row)}>
              Save as test case
            </button>
          )}
        </div>
      )}
    </li>
  );
}, sameRow);
