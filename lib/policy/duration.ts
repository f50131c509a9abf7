/** Approval expiry: seconds as an integer, or `90s`, `30m`, `1h`, `1h30m`, `2d`. */
export const DURATION_RE = /^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;
export const DEFAULT_EXPIRES_IN_SECONDS = 3600;

export function durationSeconds(v: number | string | undefined): number {
  if (v === undefined) return DEFAULT_EXPIRES_IN_SECONDS;
  if (typeof v === "number") return v;
  let total = 0;
  for (const m of v.matchAll(/(\d+)([dhms])/g)) {
    const n = Number(m[1]);
    total += m[2] === "d" ? n * 86400 : m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : n;
  }
  return total;
}

export function isDuration(v: string): boolean {
  return v.length > 0 && DURATION_RE.test(v) && durationSeconds(v) > 0;
}
