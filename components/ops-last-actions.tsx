import { formatDate } from "@/lib/console/format-date";
import type { OpsAction } from "@/lib/ops/admin-schemas";

/** A target's newest ops records from the audit log: decisions and run outcomes. */
export function OpsLastActions({ actions }: { actions: OpsAction[] }) {
  if (actions.length === 0) return <p className="text-sm text-slate-500">No actions yet.</p>;
  return (
    <ul aria-label="Last actions" className="space-y-1 text-sm">
      {actions.map((a) => (
        <li key={a.seq} data-testid="last-action" className="flex flex-wrap gap-x-2">
          <span className="font-mono">{a.tool}</span>
          <span className={a.kind === "tool_result" ? (a.outcome === "succeeded" ? "text-canopy-900" : "text-red-700") : "text-slate-600"}>
            {a.kind === "tool_result" ? `ran: ${a.outcome ?? "?"}${a.exit_code !== null ? ` (exit ${a.exit_code})` : ""}` : `decided: ${a.decision ?? "?"}`}
          </span>
          <span className="text-slate-500">{a.subject ?? ""} · {formatDate(a.ts)}</span>
        </li>
      ))}
    </ul>
  );
}
