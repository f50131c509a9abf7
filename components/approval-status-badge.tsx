const STYLES: Record<string, string> = {
  pending: "bg-amber-100 text-amber-900",
  approved: "bg-canopy-100 text-canopy-900",
  executed: "bg-canopy-100 text-canopy-900",
  rejected: "bg-red-100 text-red-800",
  expired: "bg-slate-200 text-slate-700",
};

export function ApprovalStatusBadge({ status }: { status: string }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STYLES[status] ?? "bg-slate-100"}`}>{status}</span>;
}
