"use client";

import { useEffect, useRef, useState } from "react";
import type { AuditRecordView } from "@/lib/audit/schemas";
import { formatDate } from "@/lib/console/format-date";
import { AuditDecisionBadge } from "./audit-decision-badge";

const ROW = 44;
const HEIGHT = 528;
const OVERSCAN = 8;
// Phone: seq, one stacked cell (time · kind over subject · tool), decision. The decision column
// stays in view at 390 px; from md up, every column of its own.
const COLS = "grid grid-cols-[3rem_minmax(0,1fr)_auto] md:grid-cols-[4.5rem_11rem_8rem_minmax(0,1fr)_minmax(0,1fr)_auto] gap-2 md:gap-3 items-center px-3";
const WIDE = "hidden md:block";

/**
 * The result table, virtualized: only the rows in view (plus a margin) are in the DOM, so a long
 * scroll through thousands of records stays smooth. Scrolling near the end loads the next page.
 */
export function AuditTable({ records, selected, onSelect, onEndReached, loadingMore }: {
  records: AuditRecordView[];
  selected: number | null;
  onSelect: (r: AuditRecordView) => void;
  onEndReached: () => void;
  loadingMore: boolean;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(records.length, Math.ceil((top + HEIGHT) / ROW) + OVERSCAN);

  useEffect(() => {
    if (records.length > 0 && last >= records.length - OVERSCAN) onEndReached();
  }, [last, records.length, onEndReached]);

  return (
    <div role="table" aria-label="Audit records" aria-rowcount={records.length} className="overflow-x-auto rounded-xl border border-slate-200 bg-white text-sm">
      <div className="md:min-w-[52rem]">
        <div role="row" className={`${COLS} border-b border-slate-200 bg-slate-50 py-2 text-xs font-semibold uppercase tracking-wide text-slate-600`}>
          <span role="columnheader">Seq</span>
          <span role="columnheader" className="md:hidden">Record</span>
          <span role="columnheader" className={WIDE}>Time</span>
          <span role="columnheader" className={WIDE}>Kind</span>
          <span role="columnheader" className={WIDE}>Subject · tool</span>
          <span role="columnheader" className={WIDE}>Rule · reason</span>
          <span role="columnheader">Decision</span>
        </div>
        <div ref={scroller} onScroll={(e) => setTop(e.currentTarget.scrollTop)} style={{ maxHeight: HEIGHT }} className="overflow-y-auto" data-testid="audit-scroller">
          <div style={{ height: records.length * ROW, position: "relative" }}>
            {records.slice(first, last).map((r, i) => (
              <div key={r.seq} role="row" aria-rowindex={first + i + 1} aria-selected={selected === r.seq} tabIndex={0}
                onClick={() => onSelect(r)} onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onSelect(r); } }}
                style={{ position: "absolute", top: (first + i) * ROW, height: ROW, left: 0, right: 0 }}
                className={`${COLS} cursor-pointer border-b border-slate-100 ${selected === r.seq ? "bg-canopy-50" : "hover:bg-slate-50"}`}>
                <span role="cell" className="font-mono text-xs text-slate-600">#{r.seq}</span>
                <span role="cell" className="min-w-0 leading-tight md:hidden">
                  <span className="block truncate text-xs text-slate-600">{formatDate(r.ts)}</span>
                  <span className="block truncate">{r.subject ?? "—"}{r.tool && <span className="ml-1 font-mono text-xs text-slate-600">{r.tool}</span>}<span className="ml-1 text-xs text-slate-600">{r.kind}{r.reason ? ` · ${r.reason}` : ""}</span></span>
                </span>
                <span role="cell" className={`${WIDE} truncate text-xs`} title={r.ts}>{formatDate(r.ts)}</span>
                <span role="cell" className={`${WIDE} truncate`}>{r.kind}</span>
                <span role="cell" className={`${WIDE} truncate`} title={`${r.subject ?? ""} ${r.tool ?? ""}`}>
                  {r.subject ?? "—"}{r.tool && <span className="ml-1 font-mono text-xs text-slate-600">{r.tool}</span>}
                </span>
                <span role="cell" className={`${WIDE} truncate`} title={r.reason ?? ""}>
                  {r.rule && <span className="mr-1 font-medium">{r.rule}</span>}<span className="text-slate-600">{r.reason ?? ""}</span>
                </span>
                <span role="cell"><AuditDecisionBadge decision={r.decision} outcome={r.upstream_outcome} /></span>
              </div>
            ))}
          </div>
          {loadingMore && <p className="px-3 py-2 text-xs text-slate-500">Loading more…</p>}
        </div>
      </div>
    </div>
  );
}
