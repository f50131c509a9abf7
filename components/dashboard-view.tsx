"use client";

import Link from "next/link";
import { useState } from "react";
import { useDashboardQuery } from "@/lib/console/use-dashboard-query";
import { useTenantsQuery } from "@/lib/console/use-tenants-query";
import { approvalsHref, deniedRuleHref, latencyHref, seriesHref, toolHref } from "@/lib/dashboard/links";
import type { DashboardRange } from "@/lib/dashboard/schemas";
import { formatDate } from "@/lib/console/format-date";
import { DashboardBudget } from "./dashboard-budget";
import { DashboardDecisionsChart } from "./dashboard-decisions-chart";
import { DashboardRangePicker } from "./dashboard-range-picker";
import { DashboardStat } from "./dashboard-stat";
import { DashboardTopList } from "./dashboard-top-list";

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const secs = (v: number | null) => (v === null ? "—" : v >= 3600 ? `${(v / 3600).toFixed(1)} h` : v >= 60 ? `${(v / 60).toFixed(1)} min` : `${Math.round(v)} s`);

function TenantPicker({ value, onChange }: { value: string; onChange: (t: string) => void }) {
  const tenants = useTenantsQuery();
  if (!tenants.data || tenants.data.tenants.length < 2) return null;
  return (
    <label className="flex items-center gap-2 text-sm font-medium text-slate-700">Tenant
      <select value={value} onChange={(e) => onChange(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1.5 text-sm">
        {tenants.data.tenants.map((t) => <option key={t.id} value={t.id}>{t.id}</option>)}
      </select>
    </label>
  );
}

/**
 * The tenant's activity: decisions over time, their totals, top tools and denials, latency,
 * approvals and budget. Every figure opens the audit explorer on the records behind it (for the
 * viewer's own tenant: the explorer reads only that one).
 */
export function DashboardView({ ownTenant, platformAdmin, initialRange, initialTenant }: { ownTenant: string; platformAdmin: boolean; initialRange: DashboardRange; initialTenant: string }) {
  const [range, setRangeState] = useState<DashboardRange>(initialRange);
  const [tenant, setTenantState] = useState(platformAdmin ? initialTenant : ownTenant);
  const remember = (r: DashboardRange, t: string) => {
    const p = new URLSearchParams({ range: r });
    if (t !== ownTenant) p.set("tenant", t);
    window.history.replaceState(null, "", `?${p}`);
  };
  const setRange = (r: DashboardRange) => { setRangeState(r); remember(r, tenant); };
  const setTenant = (t: string) => { setTenantState(t); remember(range, t); };
  const q = useDashboardQuery(tenant, range, ownTenant);
  const d = q.data;
  const linked = tenant === ownTenant;
  const link = (href: string) => (linked ? href : null);

  return (
    <section aria-label="Activity" className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <DashboardRangePicker value={range} onChange={setRange} />
          {platformAdmin && <TenantPicker value={tenant} onChange={setTenant} />}
        </div>
        {d && <p className="text-xs text-slate-500">{formatDate(d.from)} → {formatDate(d.to)}{q.isFetching ? " · refreshing…" : ""}</p>}
      </div>
      {!linked && <p className="rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700">Tenant {tenant}: figures only; the audit explorer opens your own tenant&apos;s records.</p>}
      {q.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">Could not load the dashboard: {q.error.message}</p>}
      {!d && q.isLoading && <p className="text-sm text-slate-600">Loading…</p>}
      {d && (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
            <DashboardStat label="Decisions" value={d.totals.decisions} href={link(seriesHref("other", d))} />
            <DashboardStat label="Allowed" value={d.totals.allow} tone="green" href={link(seriesHref("allow", d))} />
            <DashboardStat label="Denied" value={d.totals.deny} tone="red" href={link(seriesHref("deny", d))} />
            <DashboardStat label="Sent for approval" value={d.totals.approval} tone="amber" href={link(seriesHref("approval", d))} />
            <DashboardStat label="Upstream errors" value={d.totals.error} tone={d.totals.error ? "red" : "slate"} href={link(seriesHref("error", d))} />
            <DashboardStat label="Approvals pending" value={d.approvals.pending} tone={d.approvals.pending ? "amber" : "slate"} href={linked ? "/approvals" : null} detail="now, in the inbox" />
          </div>
          <DashboardDecisionsChart data={d} linked={linked} />
          <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
            <DashboardTopList title="Top tools" empty="No tool calls in this range."
              rows={d.top_tools.map((t) => ({ label: t.tool || "(no tool)", count: t.count, href: link(toolHref(t.tool, d)) }))} />
            <DashboardTopList title="Top denied tools" empty="Nothing denied in this range."
              rows={d.top_denied_tools.map((t) => ({ label: t.tool || "(no tool)", count: t.count, href: link(toolHref(t.tool, d, true)) }))} />
            <DashboardTopList title="Top denying rules" empty="Nothing denied in this range."
              rows={d.top_denied_rules.map((r) => ({ label: r.rule ?? "(no rule: limits, budgets…)", count: r.count, href: link(deniedRuleHref(r.rule, d)) }))} />
          </div>
          <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
            <section aria-label="Latency" className="grid min-w-0 grid-cols-2 gap-3">
              <DashboardStat small label="Decision p50 / p95" value={d.latency.decision ? `${ms(d.latency.decision.p50_ms)} / ${ms(d.latency.decision.p95_ms)}` : "—"}
                detail={d.latency.decision ? `${d.latency.decision.count} decisions` : "none recorded"} href={d.latency.decision ? link(latencyHref("decision", d)) : null} />
              <DashboardStat small label="Upstream p50 / p95" value={d.latency.upstream ? `${ms(d.latency.upstream.p50_ms)} / ${ms(d.latency.upstream.p95_ms)}` : "—"}
                detail={d.latency.upstream ? `${d.latency.upstream.count} forwarded calls` : "none recorded"} href={d.latency.upstream ? link(latencyHref("upstream", d)) : null} />
            </section>
            <section aria-label="Approvals decided" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
              <h2 className="text-sm font-semibold">Approvals decided in this range</h2>
              <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
                {(["approved", "executed", "rejected", "expired"] as const).map((s) => (
                  <div key={s} className="flex justify-between gap-2">
                    <dt className="text-slate-600">{s}</dt>
                    <dd className="tabular-nums">{linked ? <Link href={approvalsHref(s, d)} aria-label={`${s}: ${d.approvals[s]} (open in the audit explorer)`} className="text-canopy-800 hover:underline">{d.approvals[s]}</Link> : d.approvals[s]}</dd>
                  </div>
                ))}
              </dl>
              <p className="mt-2 text-xs text-slate-600">Time to decision p50 {secs(d.approvals.p50_seconds)}, p95 {secs(d.approvals.p95_seconds)}</p>
            </section>
            <DashboardBudget budget={d.budget} settingsHref={linked ? "/tenants" : null} />
          </div>
        </>
      )}
    </section>
  );
}
