const STYLES: Record<string, string> = {
  allow: "bg-canopy-100 text-canopy-900",
  ok: "bg-canopy-100 text-canopy-900",
  deny: "bg-red-100 text-red-800",
  failed: "bg-red-100 text-red-800",
  approval: "bg-amber-100 text-amber-900",
  pending: "bg-amber-100 text-amber-900",
};

/**
 * A record's decision. A forwarded call whose upstream failed was allowed but did not succeed:
 * it reads "allow · upstream error" (the recorded outcome in the tooltip), never a plain "allow".
 */
export function AuditDecisionBadge({ decision, outcome }: { decision: string | null; outcome?: string | null }) {
  if (!decision) return <span className="text-slate-400">—</span>;
  const failed = Boolean(outcome) && outcome !== "ok";
  const style = failed ? "bg-red-100 text-red-800" : (STYLES[decision] ?? "bg-slate-100 text-slate-700");
  return (
    <span title={outcome ? `upstream outcome: ${outcome}` : undefined} className={`whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ${style}`}>
      {failed ? `${decision} · upstream error` : decision}
    </span>
  );
}
