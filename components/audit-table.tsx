"use client";

import { useEffect, useRef, useState } from "react";
import type { AuditRecordView } from "@/lib/audit/schemas";
import { AuditDecisionBadge } from "./audit-decision-badge";

const ROW = 44;
const HEIGHT = 528;
const OVERSCAN = 8;
const COLS = "grid grid-cols-[4.5rem_10.5rem_8rem_1fr_1fr_5.5rem] gap-3 items-center px-3";

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
      <div className="min-w-[52rem]">
        <div role="row" className={`${COLS} border-b border-slate-200 bg-slate-50 py-2 text-xs font-semibold uppercase tracking-wide text-slate-600`}>
          <span role="columnheader">Seq</span>
          <span role="columnheader">Time</span>
          <span role="columnheader">Kind</span>
          <span role="columnheader">Subject · tool</span>
          <span role="columnheader">Rule · reason</span>
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
                <span role="cell" className="truncate text-xs" title={r.ts}>{new Date(r.ts).toLocaleString()}</span>
                <span role="cell" className="truncate">{r.kind}</span>
                <span role="cell" className="truncate" title={`${r.subject ?? ""} ${r.tool ?? ""}`}>
                  {r.subject ?? "—"}{r.tool && <span className="ml-1 font-mono text-xs text-slate-600">{r.tool}</span>}
                </span>
                <span role="cell" className="truncate" title={r.reason ?? ""}>
                  {r.rule && <span className="mr-1 font-medium">{r.rule}</span>}<span className="text-slate-600">{r.reason ?? ""}</span>
                </span>
                <span role="cell"><AuditDecisionBadge decision={r.decision} /></span>
              </div>
            ))}
          </div>
          {loadingMore && <p className="px-3 py-2 text-xs text-slate-500">Loading more…</p>}
        </div>
      </div>
    </div>
  );
}
