import { DASHBOARD_RANGES, type DashboardRange } from "@/lib/dashboard/schemas";

const RANGES = Object.keys(DASHBOARD_RANGES) as DashboardRange[];

/** The dashboard's time range: last hour, day, week or 30 days. */
export function DashboardRangePicker({ value, onChange }: { value: DashboardRange; onChange: (r: DashboardRange) => void }) {
  return (
    <div role="group" aria-label="Time range" className="inline-flex overflow-hidden rounded-md border border-slate-300 bg-white text-sm">
      {RANGES.map((r) => (
        <button key={r} type="button" aria-pressed={r === value} onClick={() => onChange(r)}
          className={`px-3 py-1.5 font-medium ${r === value ? "bg-canopy-700 text-white" : "text-slate-700 hover:bg-slate-50"}`}>
          {r}
        </button>
      ))}
    </div>
  );
}
