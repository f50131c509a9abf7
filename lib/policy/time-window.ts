/**
 * Time windows (TailOps time_restrictions): days of the week and a start/end time of day in an
 * IANA time zone, evaluated at the `now` the caller passes in. Days use ISO numbering
 * (1 = Monday … 7 = Sunday; 0 is accepted for Sunday) or names (`mon`, `monday`).
 * `start` is inclusive, `end` exclusive; an end earlier than the start wraps past midnight,
 * and the day is the local day of `now`.
 */

export const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const LONG_DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SHORT_EN: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export type DaySpec = number | string;

export function dayNumber(d: DaySpec): number | null {
  if (typeof d === "number") return Number.isInteger(d) && d >= 0 && d <= 7 ? (d === 0 ? 7 : d) : null;
  const s = d.toLowerCase();
  const short = (DAY_NAMES as readonly string[]).indexOf(s);
  if (short >= 0) return short + 1;
  const long = LONG_DAY_NAMES.indexOf(s);
  return long >= 0 ? long + 1 : null;
}

export const HHMM_RE = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

export function minutesOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  /** ISO day of week, 1 = Monday. */
  day: number;
  minutes: number;
  /** For traces: e.g. `Tue 09:30 Europe/Paris`. */
  text: string;
}

export type LocalClock = (now: Date) => LocalTime;

const clockCache = new Map<string, LocalClock>();

/** A function from an instant to the local day and minute in `tz`; the formatter is built once. */
export function localClock(tz: string): LocalClock {
  const cached = clockCache.get(tz);
  if (cached) return cached;
  let clock: LocalClock;
  if (tz === "UTC" || tz === "Etc/UTC") {
    clock = (now) => {
      const day = now.getUTCDay() === 0 ? 7 : now.getUTCDay();
      const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
      return { day, minutes, text: `${DAY_NAMES[day - 1]} ${fmt(minutes)} ${tz}` };
    };
  } else {
    const f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    clock = (now) => {
      let day = 0;
      let h = 0;
      let m = 0;
      for (const p of f.formatToParts(now)) {
        if (p.type === "weekday") day = SHORT_EN[p.value] ?? 0;
        else if (p.type === "hour") h = Number(p.value) % 24;
        else if (p.type === "minute") m = Number(p.value);
      }
      const minutes = h * 60 + m;
      return { day, minutes, text: `${DAY_NAMES[day - 1] ?? "?"} ${fmt(minutes)} ${tz}` };
    };
  }
  clockCache.set(tz, clock);
  return clock;
}

function fmt(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

export interface WindowSpec {
  days?: readonly DaySpec[];
  start?: string;
  end?: string;
  timezone?: string;
}

export interface CompiledWindow {
  timezone: string;
  clock: LocalClock;
  test: (local: LocalTime) => boolean;
}

export function compileWindow(w: WindowSpec): CompiledWindow {
  const timezone = w.timezone ?? "UTC";
  const days = w.days ? new Set(w.days.map((d) => dayNumber(d) ?? -1)) : null;
  const start = minutesOfDay(w.start ?? "00:00");
  const end = minutesOfDay(w.end ?? "24:00");
  const inTime =
    start === end
      ? () => true // a window from a time to the same time is the whole day
      : start < end
        ? (m: number) => m >= start && m < end
        : (m: number) => m >= start || m < end;
  return {
    timezone,
    clock: localClock(timezone),
    test: (local) => (days === null || days.has(local.day)) && inTime(local.minutes),
  };
}
