import { AppError } from "@/lib/errors";

export interface AdmissionOptions {
  /** Requests allowed in flight at once (DATA_PLANE_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Milliseconds, monotonic (performance.now in production; a settable clock in tests). */
  now?: () => number;
  /** Weight of the newest hold time in the running average (default 0.1). */
  smoothing?: number;
}

export type Admitted = { ok: true; release: () => void };
export type Refused = { ok: false; error: AppError; retryAfterSeconds: number };

export const OVERLOADED = "overloaded";

/**
 * A bounded in-flight limit with fast refusal past it: a request either gets a slot at once or is
 * refused at once, never queued, so overload shows up as quick 503s with Retry-After instead of
 * multi-second queues (and memory that grows with the backlog). Retry-After is the time the
 * average request holds its slot (a running average), rounded up to whole seconds, at least 1.
 */
export class Admission {
  private inFlight = 0;
  private avgHoldMs = 0;
  private refusedCount = 0;
  /** Refusals not yet recorded in the audit log (see takeRefused). */
  private unrecorded = 0;
  /**
   * The refusal for each Retry-After value, built once: a refusal always finds in_flight at the
   * limit, so it is the same answer every time, and past capacity it must cost next to nothing
   * (no Error and stack trace per refused request).
   */
  private readonly refusals = new Map<number, Refused>();
  private readonly now: () => number;
  private readonly smoothing: number;

  constructor(private readonly o: AdmissionOptions) {
    if (!Number.isInteger(o.maxInFlight) || o.maxInFlight < 1) throw new Error(`maxInFlight must be a whole number ≥ 1, not ${o.maxInFlight}`);
    this.now = o.now ?? (() => performance.now());
    this.smoothing = o.smoothing ?? 0.1;
  }

  tryEnter(): Admitted | Refused {
    if (this.inFlight >= this.o.maxInFlight) {
      this.refusedCount++;
      this.unrecorded++;
      const retryAfterSeconds = Math.max(1, Math.ceil(this.avgHoldMs / 1000));
      let refused = this.refusals.get(retryAfterSeconds);
      if (!refused) {
        const error = new AppError(
          503,
          OVERLOADED,
          `the gateway is at its limit of ${this.o.maxInFlight} requests in flight (DATA_PLANE_MAX_IN_FLIGHT); nothing was run: retry after ${retryAfterSeconds} s`,
          { retry_after_seconds: retryAfterSeconds, in_flight: this.o.maxInFlight, limit: this.o.maxInFlight },
        );
        refused = Object.freeze({ ok: false as const, error, retryAfterSeconds });
        this.refusals.set(retryAfterSeconds, refused);
      }
      return refused;
    }
    this.inFlight++;
    const started = this.now();
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        const held = this.now() - started;
        this.avgHoldMs = this.avgHoldMs === 0 ? held : this.avgHoldMs + this.smoothing * (held - this.avgHoldMs);
      },
    };
  }

  /** Refusals since the last call (what the door-refusal record counts); `putBack` returns them when that record could not be written. */
  takeRefused(): number {
    const n = this.unrecorded;
    this.unrecorded = 0;
    return n;
  }

  putBack(n: number): void {
    this.unrecorded += n;
  }

  get limit(): number {
    return this.o.maxInFlight;
  }

  stats(): { inFlight: number; limit: number; refused: number; avgHoldMs: number } {
    return { inFlight: this.inFlight, limit: this.o.maxInFlight, refused: this.refusedCount, avgHoldMs: this.avgHoldMs };
  }
}
