"use client";

import { formatDate } from "@/lib/console/format-date";
import { useRevealCodeMutation } from "@/lib/console/use-reveal-code-mutation";

/**
 * Seed 004's two-phase approval: an eligible approver reveals a personal one-time code and gives
 * it to the agent, which completes with POST /approvals/complete; it counts as this approver's vote.
 */
export function ApprovalCodeReveal({ id }: { id: string }) {
  const reveal = useRevealCodeMutation();
  return (
    <div className="mt-3 flex flex-wrap items-center gap-2 text-sm">
      <button type="button" onClick={() => reveal.mutate({ id })} disabled={reveal.isPending}
        className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50">
        Reveal my approval code
      </button>
      {reveal.data && (
        <p className="text-slate-700">
          Your code: <code aria-label="Your approval code" className="rounded bg-slate-100 px-2 py-0.5 font-mono font-semibold">{reveal.data.approval_code}</code>
          <span className="text-slate-500"> · counts as your approval once, until {formatDate(reveal.data.expires_at)}</span>
        </p>
      )}
      {reveal.error && <p role="alert" className="text-red-700">{reveal.error.message}</p>}
    </div>
  );
}
