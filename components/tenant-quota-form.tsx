"use client";

import { useState } from "react";
import { formatDate } from "@/lib/console/format-date";
import { type QuotaDescription, useQuotasQuery, useSaveQuotasMutation } from "@/lib/console/use-tenants-query";

const FIELDS = [
  { key: "requests_per_minute", label: "Requests per minute", step: "1" },
  { key: "max_concurrent", label: "Concurrent calls", step: "1" },
  { key: "daily_budget_usd", label: "Daily budget (USD)", step: "0.01" },
  { key: "monthly_budget_usd", label: "Monthly budget (USD)", step: "0.01" },
] as const;

type Key = (typeof FIELDS)[number]["key"];

/** The tenant's rate limits and budgets (the quota API; empty = no limit) and its usage now. */
export function TenantQuotaForm({ tenant, canManage }: { tenant: string; canManage: boolean }) {
  const quotas = useQuotasQuery(tenant);
  if (quotas.error) return <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{quotas.error.message}</p>;
  if (!quotas.data) return <p className="text-sm text-slate-600">Loading…</p>;
  return <QuotaFields key={quotas.data.updated_at ?? "none"} tenant={tenant} data={quotas.data} canManage={canManage} />;
}

function QuotaFields({ tenant, data, canManage }: { tenant: string; data: QuotaDescription; canManage: boolean }) {
  const save = useSaveQuotasMutation(tenant);
  const [values, setValues] = useState<Record<Key, string>>(() => Object.fromEntries(FIELDS.map((f) => [f.key, data[f.key] === null ? "" : String(data[f.key])])) as Record<Key, string>);
  const { day, month } = data.usage;
  return (
    <section aria-label="Quotas and budgets" className="min-w-0 space-y-3 rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">Quotas and budgets of {tenant}</h2>
      <dl className="grid grid-cols-2 gap-2 text-sm" aria-label="Usage now">
        <div><dt className="text-slate-600">Today</dt><dd data-testid="usage-day">{day.requests} calls · ${day.spent_usd.toFixed(2)}{data.daily_budget_usd !== null ? ` of $${data.daily_budget_usd.toFixed(2)}` : ""}</dd></div>
        <div><dt className="text-slate-600">This month</dt><dd>{month.requests} calls · ${month.spent_usd.toFixed(2)}{data.monthly_budget_usd !== null ? ` of $${data.monthly_budget_usd.toFixed(2)}` : ""}</dd></div>
      </dl>
      <form aria-label="Limits" className="grid gap-3 sm:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { tools: data.tools };
          for (const f of FIELDS) body[f.key] = values[f.key].trim() === "" ? null : Number(values[f.key]);
          save.mutate(body);
        }}>
        {FIELDS.map((f) => (
          <label key={f.key} className="block text-sm">
            <span className="text-slate-600">{f.label}</span>
            <input type="number" min="0" step={f.step} inputMode="decimal" disabled={!canManage} value={values[f.key]} placeholder="no limit"
              onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm disabled:bg-slate-50" />
          </label>
        ))}
        {canManage && (
          <div className="sm:col-span-2">
            <button type="submit" disabled={save.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60">Save limits</button>
            {save.isSuccess && <span role="status" className="ml-3 text-sm text-canopy-900">Saved.</span>}
          </div>
        )}
      </form>
      {save.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{save.error.message}</p>}
      {data.updated_at && <p className="text-xs text-slate-500">Last changed {formatDate(data.updated_at)} by {data.updated_by ?? "?"}</p>}
    </section>
  );
}
