"use client";

import { formatDate } from "@/lib/console/format-date";
import { useEffect, useState } from "react";

function format(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}:${String(sec).padStart(2, "0")}`;
}

/** Time left until an approval expires, ticking every second; urgent under five minutes. */
export function ExpiryCountdown({ expiresAt }: { expiresAt: string }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    // Server HTML shows the clock time; the countdown starts on the client, right after hydration.
    const first = setTimeout(tick, 0);
    const t = setInterval(tick, 1_000);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, []);
  const at = Date.parse(expiresAt);
  if (now === null) return <time dateTime={expiresAt} className="text-slate-600">expires {formatDate(at)}</time>;
  const left = at - now;
  if (left <= 0) return <span className="font-medium text-red-700">expired</span>;
  return (
    <time dateTime={expiresAt} title={formatDate(at)} className={left < 5 * 60_000 ? "font-medium text-amber-700" : "text-slate-600"}>
      expires in {format(left)}
    </time>
  );
}
