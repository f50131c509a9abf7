import Link from "next/link";
import type { ReactNode } from "react";

/** One figure of the dashboard; a link to the records behind it when there is one. */
export function DashboardStat({ label, value, href, detail, tone = "slate", small = false }: { label: string; value: ReactNode; href?: string | null; detail?: ReactNode; tone?: "slate" | "green" | "red" | "amber"; small?: boolean }) {
  const color = { slate: "text-slate-900", green: "text-canopy-800", red: "text-red-700", amber: "text-amber-800" }[tone];
  const body = (
    <>
      <span className="block text-xs font-medium uppercase tracking-wide text-slate-500">{label}</span>
      <span className={`mt-1 block font-semibold tabular-nums ${small ? "text-lg" : "text-2xl"} ${color}`}>{value}</span>
      {detail && <span className="mt-0.5 block text-xs text-slate-600">{detail}</span>}
    </>
  );
  const box = "block min-w-0 rounded-xl border border-slate-200 bg-white p-4";
  return href ? (
    <Link href={href} aria-label={`${label}: ${typeof value === "string" || typeof value === "number" ? value : ""} (open in the audit explorer)`} className={`${box} hover:border-canopy-600 hover:bg-canopy-50`}>{body}</Link>
  ) : (
    <div className={box}>{body}</div>
  );
}
