"use client";

import { useAuditVerify } from "@/lib/audit/use-audit-query";

/** "Verify chain": recomputes every hash and link of the tenant's chain on the server and shows the result. */
export function AuditVerifyPanel({ onShowSeq }: { onShowSeq: (seq: number) => void }) {
  const verify = useAuditVerify();
  const r = verify.data;
  return (
    <div className="flex flex-col items-start gap-2 sm:items-end">
      <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}
        className="rounded-md border border-canopy-700 px-3 py-1.5 text-sm font-semibold text-canopy-700 hover:bg-canopy-50 disabled:opacity-60">
        {verify.isPending ? "Verifying…" : "Verify chain"}
      </button>
      {verify.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">Could not verify: {verify.error.message}</p>}
      {r?.ok && (
        <p role="status" className="rounded-md bg-canopy-50 px-3 py-2 text-sm text-canopy-900">
          Chain verified: {r.count} records, {r.checkpoints_verified} signed checkpoints{typeof r.duration_ms === "number" ? ` (${r.duration_ms} ms)` : ""}.
        </p>
      )}
      {r && !r.ok && (
        <p role="alert" className="max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          Chain broken at seq {r.seq} ({r.problem.replace("_", " ")}): {r.message}{" "}
          {r.seq > 0 && <button type="button" className="underline" onClick={() => onShowSeq(r.seq)}>Show record</button>}
        </p>
      )}
    </div>
  );
}
