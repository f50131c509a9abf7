/**
 * Fixed windows in UTC: requests per minute count in the calendar minute (reset at :00), budgets
 * in the UTC day and month. A fixed window is exact and cheap (one counter); its cost is that a
 * burst straddling a boundary can reach twice the per-minute rate within 60 s.
 */
export interface Window {
  kind: "minute" | "day" | "month";
  /** "2026-11-21T10:31", "2026-11-21", "2026-11" (the usage_counters `window` suffix). */
  id: string;
  endsAt: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

export function minuteWindow(now: number): Window {
  const start = Math.floor(now / 60_000) * 60_000;
  return { kind: "minute", id: new Date(start).toISOString().slice(0, 16), endsAt: start + 60_000 };
}

export function dayWindow(now: number): Window {
  const d = new Date(now);
  return { kind: "day", id: d.toISOString().slice(0, 10), endsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) };
}

export function monthWindow(now: number): Window {
  const d = new Date(now);
  return { kind: "month", id: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`, endsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** The usage_counters.window value. */
export const usageWindow = (w: Window) => `${w.kind}:${w.id}`;
