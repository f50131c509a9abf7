"use client";

import { useRouter } from "next/navigation";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDate } from "@/lib/console/format-date";
import { seriesHref } from "@/lib/dashboard/links";
import type { Dashboard, DecisionSeries } from "@/lib/dashboard/schemas";

const SERIES: { key: DecisionSeries; name: string; color: string }[] = [
  { key: "allow", name: "allow", color: "#15803d" },
  { key: "deny", name: "deny", color: "#b91c1c" },
  { key: "approval", name: "approval", color: "#d97706" },
  { key: "other", name: "other", color: "#64748b" },
  { key: "error", name: "upstream error (of the allowed)", color: "#7c3aed" },
];

function tick(bucketSeconds: number) {
  if (bucketSeconds >= 86_400) return (t: string) => t.slice(5, 10);
  if (bucketSeconds >= 6 * 3600) return (t: string) => `${t.slice(5, 10)} ${t.slice(11, 13)}h`;
  return (t: string) => t.slice(11, 16);
}

/**
 * Decisions per time bucket, stacked by outcome (recharts). Clicking a bar segment opens the audit
 * explorer on exactly the records it counts (that decision, that bucket); `linked` false (another
 * tenant than the viewer's, whose explorer they cannot open) leaves the bars inert.
 */
export function DashboardDecisionsChart({ data, linked }: { data: Dashboard; linked: boolean }) {
  const router = useRouter();
  const shown = SERIES.filter((s) => s.key !== "other" || data.totals.other > 0);
  return (
    <figure aria-label="Decisions over time" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
      <figcaption className="text-sm font-semibold">Decisions over time (UTC, per {data.bucket}){linked && <span className="ml-2 text-xs font-normal text-slate-500">click a bar for its records</span>}</figcaption>
      <div className="mt-2 h-64">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data.series} margin={{ left: -16, right: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="at" tickFormatter={tick(data.bucket_seconds)} fontSize={11} minTickGap={16} />
            <YAxis allowDecimals={false} fontSize={11} />
            <Tooltip labelFormatter={(t) => formatDate(String(t))} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {shown.map((s) => (
              // An upstream error is one of the allowed calls: its own bar beside the stack, not counted twice in it.
              <Bar key={s.key} dataKey={s.key} name={s.name} stackId={s.key === "error" ? "e" : "d"} fill={s.color} isAnimationActive={false}
                className={`dashboard-bar-${s.key}`} cursor={linked ? "pointer" : undefined}
                onClick={linked ? (_item, index) => router.push(seriesHref(s.key, { from: data.series[index].at, to: data.series[index].to })) : undefined} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
