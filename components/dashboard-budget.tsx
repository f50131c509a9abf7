import Link from "next/link";
import type { Dashboard } from "@/lib/dashboard/schemas";

function Meter({ label, spent, budget }: { label: string; spent: number; budget: number | null }) {
  const pct = budget ? Math.min(100, (spent / budget) * 100) : 0;
  const tone = pct >= 100 ? "bg-red-600" : pct >= 80 ? "bg-amber-500" : "bg-canopy-600";
  return (
    <div>
      <div className="flex justify-between gap-2 text-sm">
        <span>{label}</span>
        <span className="tabular-nums text-slate-700">${spent.toFixed(2)}{budget !== null ? ` of $${budget.toFixed(2)}` : " (no budget set)"}</span>
      </div>
      <div role="meter" aria-label={`${label} spend`} aria-valuemin={0} aria-valuemax={budget ?? 0} aria-valuenow={spent}
        className="mt-1 h-2 rounded bg-slate-100">
        {budget !== null && <div className={`h-2 rounded ${tone}`} style={{ width: `${pct}%` }} />}
      </div>
    </div>
  );
}

/** Spend of the current UTC day and month against the tenant's budgets (the quota settings). */
export function DashboardBudget({ budget, settingsHref }: { budget: Dashboard["budget"]; settingsHref: string | null }) {
  return (
    <section aria-label="Budget use" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
      <div className="flex items-baseline justify-between gap-2">
        <h2 className="text-sm font-semibold">Budget use</h2>
        {settingsHref && <Link href={settingsHref} className="text-xs font-medium text-canopy-800 hover:underline">Quotas and budgets</Link>}
      </div>
      <div className="mt-3 space-y-3">
        <Meter label="Today (UTC)" spent={budget.day_spent_usd} budget={budget.daily_budget_usd} />
        <Meter label="This month" spent={budget.month_spent_usd} budget={budget.monthly_budget_usd} />
        <p className="text-xs text-slate-600">{budget.day_requests} requests today, {budget.month_requests} this month.</p>
      </div>
    </section>
  );
}
