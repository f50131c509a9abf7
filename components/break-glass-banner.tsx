"use client";

import { useEmergencyQuery } from "@/lib/console/use-emergency-query";
import { ExpiryCountdown } from "./expiry-countdown";

/** On every console page while break-glass is live: who, why, and how long it has left. */
export function BreakGlassBanner() {
  const status = useEmergencyQuery();
  const a = status.data?.active;
  if (!a) return null;
  return (
    <div role="alert" aria-label="Break-glass active" data-testid="break-glass-banner" className="mb-4 rounded-xl border-2 border-red-600 bg-red-50 px-4 py-3 text-sm text-red-900">
      <p className="font-semibold">Break-glass active in {a.tenant}: callers hold the “{status.data?.role}” role for ops policies.</p>
      <p className="mt-1 break-words">{a.reason} — activated by {a.activated_by}{a.scope === "platform" ? " (platform admin)" : ""}; ends in <ExpiryCountdown expiresAt={a.expires_at} />.</p>
    </div>
  );
}
