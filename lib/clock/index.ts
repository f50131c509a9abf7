/**
 * Time as a dependency: services read the clock they are given, so tests move time forward
 * instead of sleeping, and the pure domains (lib/policy, the approval state machine) take `now`
 * as an argument instead.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  now(): Date;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => new Date(),
};

/** A clock that moves only when told: tests set and advance it. */
export interface ManualClock extends Clock {
  set(ms: number | Date): void;
  advance(ms: number): void;
}

export function manualClock(start: number | Date = Date.UTC(2026, 0, 1)): ManualClock {
  let t = typeof start === "number" ? start : start.getTime();
  return {
    nowMs: () => t,
    now: () => new Date(t),
    set: (ms) => void (t = typeof ms === "number" ? ms : ms.getTime()),
    advance: (ms) => void (t += ms),
  };
}
