"use client";

import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTenantActivityQuery } from "@/lib/console/use-tenants-query";

/** Spend per day against the daily budget, and calls per minute, for one tenant (recharts). */
export function TenantActivityCharts({ tenant }: { tenant: string }) {
  const activity = useTenantActivityQuery(tenant);
  if (activity.error) return <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{activity.error.message}</p>;
  const a = activity.data;
  return (
    <div className="grid min-w-0 gap-4 xl:grid-cols-2">
      <figure aria-label="Spend vs budget" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
        <figcaption className="text-sm font-semibold">Spend per day vs budget (USD, last 30 days)</figcaption>
        <div className="mt-2 h-56">
          {a && (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={a.daily_spend} margin={{ left: -16, right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} fontSize={11} minTickGap={16} />
                <YAxis fontSize={11} />
                <Tooltip formatter={(v) => `$${Number(v).toFixed(2)}`} />
                <Bar dataKey="usd" name="spent" fill="#15803d" />
                {a.daily_budget_usd !== null && <ReferenceLine y={a.daily_budget_usd} ifOverflow="extendDomain" stroke="#b91c1c" strokeDasharray="4 4" label={{ value: "budget", fontSize: 11, fill: "#b91c1c", position: "insideTopRight" }} />}
              </BarChart>
            </ResponsiveContainer>
          )}
        </div>
      </figure>
      <figure aria-label="Calls per minute" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
        <figcaption className="text-sm font-semibold">Calls per minute (last hour, UTC)</figcaption>
        <div className="mt-2 h-56">
          {a && (
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={a.calls_per_minute} margin={{ left: -16, right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="at" tickFormatter={(t: string) => t.slice(11, 16)} fontSize={11} minTickGap={24} />
                <YAxis allowDecimals={false} fontSize={11} />
                <Tooltip labelFormatter={(t) => `${String(t).slice(11, 16)} UTC`} />
                <Line type="monotone" dataKey="calls" stroke="#15803d" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          )}
        </div>
      </figure>
    </div>
  );
}
