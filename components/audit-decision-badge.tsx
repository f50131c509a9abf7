const STYLES: Record<string, string> = {
  allow: "bg-canopy-100 text-canopy-900",
  ok: "bg-canopy-100 text-canopy-900",
  deny: "bg-red-100 text-red-800",
  failed: "bg-red-100 text-red-800",
  approval: "bg-amber-100 text-amber-900",
  pending: "bg-amber-100 text-amber-900",
};

export function AuditDecisionBadge({ decision }: { decision: string | null }) {
  if (!decision) return <span className="text-slate-400">—</span>;
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STYLES[decision] ?? "bg-slate-100 text-slate-700"}`}>{decision}</span>;
}
