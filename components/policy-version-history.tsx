"use client";

import { formatDate } from "@/lib/console/format-date";
import { useState } from "react";
import { ApiErrorNote } from "@/components/policy-api-error";
import type { PolicyApiError, RollbackResult, VersionRow } from "@/lib/console/policy-api";

export interface PolicyVersionHistoryProps {
  versions: readonly VersionRow[];
  loading: boolean;
  loadError: string | null;
  canRollback: boolean;
  onRollback: (input: { version?: number; message?: string }) => void;
  rollbackPending: boolean;
  rollbackError: PolicyApiError | null;
  rollbackResult: RollbackResult | null;
  onDiff: (from: number, to: number) => void;
  activeVersion: number | null;
}

function rollout(r: VersionRow["rollouts"][number]): string {
  if (r.strategy === "canary_percent") return `canary ${r.canary_percent}%`;
  if (r.strategy === "explicit") return `pinned ${r.tenants.join(", ")}`;
  return "all tenants";
}

/** Every version the tenant may use, newest first: who, when, why, signature and rollout state; roll back or diff from here. */
export function PolicyVersionHistory({ versions, loading, loadError, canRollback, onRollback, rollbackPending, rollbackError, rollbackResult, onDiff, activeVersion }: PolicyVersionHistoryProps) {
  const [message, setMessage] = useState("");
  const [confirm, setConfirm] = useState<number | "previous" | null>(null);

  if (loading) return <p className="text-sm text-slate-600">Loading versions…</p>;
  if (loadError)
    return (
      <p role="alert" className="text-sm text-red-700">
        Versions could not be read: {loadError}
      </p>
    );

  return (
    <div className="space-y-3">
      {canRollback && (
        <div className="flex flex-wrap items-end gap-2">
          <label className="min-w-0 flex-1 text-sm">
            Rollback message
            <input className="w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" value={message} onChange={(e) => setMessage(e.target.value)} maxLength={2000} placeholder="why roll back" />
          </label>
          <button type="button" disabled={rollbackPending} onClick={() => setConfirm("previous")} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-50">
            Roll back to the previous version
          </button>
        </div>
      )}
      {confirm !== null && (
        <div role="alertdialog" aria-label="Confirm rollback" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <span>{confirm === "previous" ? "Roll your tenant back to the version it ran before?" : `Roll back to version ${confirm}? This records a new rollout.`}</span>
          <button
            type="button"
            className="rounded-md bg-amber-600 px-3 py-1 text-sm font-medium text-white hover:bg-amber-700"
            onClick={() => {
              onRollback({ ...(confirm === "previous" ? {} : { version: confirm }), ...(message.trim() ? { message: message.trim() } : {}) });
              setConfirm(null);
            }}
          >
            Confirm rollback
          </button>
          <button type="button" className="rounded-md border border-slate-300 px-3 py-1 text-sm" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </div>
      )}
      {rollbackError && <ApiErrorNote error={rollbackError} what="Rollback" />}
      {rollbackResult && (
        <p role="status" className="rounded-md border border-canopy-100 bg-canopy-50 p-3 text-sm text-canopy-900" data-testid="rollback-result">
          {rollbackResult.action === "unpin" ? `Pin removed: back to version ${rollbackResult.version}` : `Rolled back to version ${rollbackResult.version}`} (was {rollbackResult.previous_version ?? "none"}): {rollbackResult.headline}
        </p>
      )}
      <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Policy versions">
        {versions.map((v) => (
          <li key={v.id} className="flex flex-col gap-2 p-3 sm:flex-row sm:items-start" data-version={v.id}>
            <div className="min-w-0 flex-1 text-sm">
              <p className="font-medium">
                v{v.id} <span className="text-xs font-normal text-slate-500">{v.scope === "platform" ? "platform" : `tenant ${v.tenant}`}</span>
                {v.active && <span className="ml-2 rounded-full bg-canopy-100 px-2 py-0.5 text-xs text-canopy-900">active</span>}
                {v.stable && <span className="ml-2 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">stable</span>}
              </p>
              <p className="text-slate-700">
                {v.author}
                {v.message ? ` · ${v.message}` : ""} · <span className="text-slate-500">{formatDate(v.created_at)}</span>
              </p>
              <p className="text-xs text-slate-500">
                {v.signed ? (v.verified ? "signed, verified" : "signed, not verified") : "unsigned"}
                {v.rollouts.length > 0 && ` · ${v.rollouts.map(rollout).join("; ")}`}
                {v.pinned_tenants.length > 0 && ` · pins: ${v.pinned_tenants.join(", ")}`}
              </p>
            </div>
            <div className="flex gap-2">
              {activeVersion !== null && v.id !== activeVersion && (
                <button type="button" className="rounded-md border border-slate-300 px-2.5 py-1 text-xs hover:bg-slate-100" onClick={() => onDiff(activeVersion, v.id)}>
                  Diff with active
                </button>
              )}
              {canRollback && !v.active && (
                <button type="button" disabled={rollbackPending} className="rounded-md border border-amber-400 px-2.5 py-1 text-xs text-amber-900 hover:bg-amber-50 disabled:opacity-50" onClick={() => setConfirm(v.id)}>
                  Roll back to v{v.id}
                </button>
              )}
            </div>
          </li>
        ))}
        {versions.length === 0 && <li className="p-3 text-sm text-slate-600">No versions yet.</li>}
      </ul>
    </div>
  );
}
