"use client";

import { useState } from "react";
import { formatDate } from "@/lib/console/format-date";
import { useActivateEmergencyMutation, useEmergencyQuery, useEndEmergencyMutation } from "@/lib/console/use-emergency-query";

/** Break-glass on the Targets page: the state, and for admins activation (reason, bounded minutes) and early end. */
export function BreakGlassPanel({ canManage }: { canManage: boolean }) {
  const status = useEmergencyQuery();
  const activate = useActivateEmergencyMutation();
  const end = useEndEmergencyMutation();
  const [reason, setReason] = useState("");
  const [minutes, setMinutes] = useState("30");
  const live = status.data?.active ?? null;
  const max = status.data?.max_minutes ?? 60;
  const error = activate.error ?? end.error ?? status.error;
  return (
    <section aria-label="Break-glass" className="rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">Break-glass</h2>
      <p className="mt-1 text-sm text-slate-600">
        {live ? `Active until ${formatDate(live.expires_at)}.` : `Not active. An activation lasts at most ${max} minutes and is audited.`}
      </p>
      {canManage && !live && (
        <form className="mt-3 space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            activate.mutate({ reason: reason.trim(), minutes: Number(minutes) }, { onSuccess: () => setReason("") });
          }}>
          <label className="block text-sm"><span className="text-slate-600">Reason</span>
            <input required minLength={10} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="INC-42: web down, restart nginx"
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" /></label>
          <label className="block text-sm"><span className="text-slate-600">Minutes (at most {max})</span>
            <input required type="number" min={1} max={max} value={minutes} onChange={(e) => setMinutes(e.target.value)}
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" /></label>
          <button type="submit" disabled={activate.isPending} className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-800 disabled:opacity-60">
            Activate break-glass
          </button>
        </form>
      )}
      {canManage && live && (
        <button type="button" disabled={end.isPending} onClick={() => end.mutate()} className="mt-3 rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700 hover:bg-red-50">
          End now
        </button>
      )}
      {error && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error.message}</p>}
    </section>
  );
}
