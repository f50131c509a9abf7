"use client";

import { useCallback, useMemo, useState } from "react";
import type { AuditRecordView } from "@/lib/audit/schemas";
import { type AuditFilterValues, auditQueryString, useAuditSearch } from "@/lib/audit/use-audit-query";
import { AuditFilterBar } from "./audit-filter-bar";
import { AuditRecordDrawer } from "./audit-record-drawer";
import { AuditTable } from "./audit-table";
import { AuditVerifyPanel } from "./audit-verify-panel";

/** The audit explorer: filters, the virtualized results, a record's drawer, chain verification, export. */
export function AuditExplorer({ tenant, canExport, initialFilters = {} }: { tenant: string; canExport: boolean; initialFilters?: AuditFilterValues }) {
  const [filters, setFiltersState] = useState<AuditFilterValues>(initialFilters);
  // The filters live in the URL too, so a filtered view can be linked to (the dashboard does) and reloaded.
  const setFilters = useCallback((f: AuditFilterValues) => {
    setFiltersState(f);
    const qs = auditQueryString(f);
    window.history.replaceState(null, "", qs ? `?${qs}` : window.location.pathname);
  }, []);
  const [open, setOpen] = useState<{ seq: number; initial?: AuditRecordView } | null>(null);
  const search = useAuditSearch(filters);
  const records = useMemo(() => search.data?.pages.flatMap((p) => p.records) ?? [], [search.data]);
  const filtered = Object.values(filters).some(Boolean);
  const headSeq = !filtered && records.length > 0 ? records[0].seq : null;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = search;
  const onEndReached = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <div className="space-y-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <p className="text-sm text-slate-600">
          Tenant <span className="font-medium text-slate-900">{tenant}</span>: newest first.
          {search.data && <> Showing {records.length}{hasNextPage ? "+" : ""} record{records.length === 1 ? "" : "s"}{filtered ? " matching the filters" : ""}.</>}
        </p>
        <div className="flex flex-col items-start gap-2 sm:flex-row sm:items-start">
          {canExport && (
            <a href={`/api/v1/audit/export?${auditQueryString(filters)}`} download
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-semibold hover:bg-slate-50">
              Export JSONL
            </a>
          )}
          <AuditVerifyPanel onShowSeq={(seq) => setOpen({ seq })} />
        </div>
      </div>
      <AuditFilterBar value={filters} onApply={setFilters} />
      {search.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">Could not load the audit log: {search.error.message}</p>}
      {search.isLoading && <p className="text-sm text-slate-600">Loading…</p>}
      {search.data && records.length === 0 && (
        <section className="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-600">
          {filtered ? "No records match these filters." : "No audit records yet. Every tool decision, approval, policy change and sign-in will appear here."}
        </section>
      )}
      {records.length > 0 && (
        <AuditTable records={records} selected={open?.seq ?? null} onSelect={(r) => setOpen({ seq: r.seq, initial: r })}
          onEndReached={onEndReached} loadingMore={isFetchingNextPage} />
      )}
      {open && (
        <AuditRecordDrawer seq={open.seq} initial={open.initial} headSeq={headSeq} onNavigate={(seq) => setOpen({ seq })} onClose={() => setOpen(null)} />
      )}
    </div>
  );
}
