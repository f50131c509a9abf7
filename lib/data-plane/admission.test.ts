import { describe, expect, test } from "vitest";
import { Admission, type Admitted, OVERLOADED } from "./admission";

function at(ms = 0) {
  const clock = { now: ms };
  return { clock, now: () => clock.now };
}

describe("Admission", () => {
  test("admits up to the limit, refuses past it at once, admits again once a slot is released", () => {
    const { now } = at();
    const a = new Admission({ maxInFlight: 3, now });
    const held = [a.tryEnter(), a.tryEnter(), a.tryEnter()];
    expect(held.every((h) => h.ok)).toBe(true);
    const refused = a.tryEnter();
    expect(refused.ok).toBe(false);
    (held[0] as Admitted).release();
    expect(a.tryEnter().ok).toBe(true);
    expect(a.stats()).toMatchObject({ inFlight: 3, limit: 3, refused: 1 });
  });

  test("a refusal is a 503 `overloaded` error naming the limit and the setting, with Retry-After in its details", () => {
    const a = new Admission({ maxInFlight: 1, now: at().now });
    a.tryEnter();
    const r = a.tryEnter();
    if (r.ok) throw new Error("expected a refusal");
    expect(r.error).toMatchObject({ status: 503, code: OVERLOADED, details: { retry_after_seconds: 1, in_flight: 1, limit: 1 } });
    expect(r.error.message).toBe("the gateway is at its limit of 1 requests in flight (DATA_PLANE_MAX_IN_FLIGHT); nothing was run: retry after 1 s");
  });

  test.each([
    { label: "fast requests: at least 1 s", holds: [5, 5, 5], expected: 1 },
    { label: "first hold of 2.5 s: 3 s", holds: [2500], expected: 3 },
    { label: "averaged: 1 s then 11 s with smoothing 0.5 → 6 s", holds: [1000, 11_000], expected: 6 },
  ])("Retry-After follows the average hold time ($label)", ({ holds, expected }) => {
    const { clock, now } = at();
    const a = new Admission({ maxInFlight: 1, now, smoothing: 0.5 });
    for (const ms of holds) {
      const h = a.tryEnter() as Admitted;
      clock.now += ms;
      h.release();
    }
    a.tryEnter();
    const r = a.tryEnter();
    expect(r.ok ? null : r.retryAfterSeconds).toBe(expected);
  });

  test("past the limit every refusal is the same prepared answer (no error built per refused request), and each is counted once", () => {
    const a = new Admission({ maxInFlight: 1, now: at().now });
    a.tryEnter();
    const first = a.tryEnter();
    const second = a.tryEnter();
    expect(second).toBe(first);
    expect(a.stats().refused).toBe(2);
    expect(a.takeRefused()).toBe(2);
    expect(a.takeRefused()).toBe(0);
  });

  test("releasing twice frees one slot only", () => {
    const a = new Admission({ maxInFlight: 2, now: at().now });
    const h = a.tryEnter() as Admitted;
    a.tryEnter();
    h.release();
    h.release();
    expect(a.stats().inFlight).toBe(1);
  });

  test.each([0, -1, 1.5, Number.NaN])("refuses a limit of %s", (n) => {
    expect(() => new Admission({ maxInFlight: n })).toThrow(/maxInFlight/);
  });
});
