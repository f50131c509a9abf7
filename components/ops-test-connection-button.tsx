"use client";

import { useTestOpsTargetMutation } from "@/lib/console/use-ops-targets-query";

/** "Test connection": connects to the target and shows what answered (nothing changes there). */
export function OpsTestConnectionButton({ id }: { id: string }) {
  const test = useTestOpsTargetMutation();
  const r = test.data;
  return (
    <div className="space-y-1">
      <button type="button" disabled={test.isPending} onClick={() => test.mutate(id)}
        className="whitespace-nowrap rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50 disabled:opacity-60">
        {test.isPending ? "Testing…" : "Test connection"}
      </button>
      {test.error && <p role="alert" className="text-sm text-red-700">{test.error.message}</p>}
      {r && (
        <p role="status" data-testid="connection-result" className={`text-sm ${r.ok ? "text-canopy-900" : "text-red-700"}`}>
          {r.ok ? `Connected (${r.backend}, ${Math.round(r.latency_ms)} ms)` : `Failed: ${r.error ?? "no answer"}`}
        </p>
      )}
    </div>
  );
}
