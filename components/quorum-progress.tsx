import { formatDate } from "@/lib/console/format-date";
import type { VoteView } from "@/lib/approvals/schemas";

/** N-of-M progress with who voted how (a deny ends it, so it is shown in red). */
export function QuorumProgress({ approvals, required, votes }: { approvals: number; required: number; votes: VoteView[] }) {
  const pct = Math.min(100, Math.round((approvals / Math.max(1, required)) * 100));
  const denied = votes.some((v) => v.decision === "rejected");
  return (
    <div>
      <div className="flex items-center justify-between text-xs text-slate-600">
        <span>
          {approvals} of {required} approval{required === 1 ? "" : "s"}
        </span>
        {denied && <span className="font-medium text-red-700">denied</span>}
      </div>
      <div className="mt-1 h-2 overflow-hidden rounded-full bg-slate-200" role="progressbar" aria-label="Approvals" aria-valuemin={0} aria-valuemax={required} aria-valuenow={approvals}>
        <div className={`h-full ${denied ? "bg-red-500" : "bg-canopy-600"}`} style={{ width: `${denied ? 100 : pct}%` }} />
      </div>
      {votes.length > 0 && (
        <ul className="mt-2 space-y-1 text-xs" aria-label="Votes">
          {votes.map((v) => (
            <li key={v.approver} className="flex flex-wrap gap-x-1">
              <span className={v.decision === "approved" ? "text-canopy-700" : "text-red-700"}>{v.decision === "approved" ? "✓" : "✗"}</span>
              <span className="font-medium">{v.approver}</span>
              <span className="text-slate-600">
                {v.decision} via {v.via} · {formatDate(v.created_at)}
              </span>
              {v.comment && <span className="w-full pl-4 italic text-slate-600">“{v.comment}”</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
