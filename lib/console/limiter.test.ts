import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLimiter, runAll } from "./limiter";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("createLimiter", () => {
  it("never runs more than `limit` tasks at once, and runs them all", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), async (limit, delays) => {
        const limiter = createLimiter(limit);
        let running = 0;
        let peak = 0;
        const results = await Promise.all(
          delays.map((d, i) =>
            limiter.run(async () => {
              running++;
              peak = Math.max(peak, running);
              for (let k = 0; k < d; k++) await tick();
              running--;
              return i;
            }),
          ),
        );
        expect(results).toEqual(delays.map((_, i) => i));
        expect(peak).toBeLessThanOrEqual(limit);
        expect(limiter.active).toBe(0);
        expect(limiter.queued).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it("an aborted caller's queued tasks never start and reject with AbortError", async () => {
    const limiter = createLimiter(1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const started: number[] = [];
    const queued = [1, 2, 3].map((i) => limiter.run(async () => void started.push(i), controller.signal));
    expect(limiter.queued).toBe(3);
    controller.abort();
    for (const q of queued) await expect(q).rejects.toMatchObject({ name: "AbortError" });
    expect(limiter.queued).toBe(0);
    release();
    await first;
    expect(started).toEqual([]);
  });

  it("refuses an already aborted signal and a nonsensical limit", async () => {
    const c = new AbortController();
    c.abort();
    await expect(createLimiter(2).run(async () => 1, c.signal)).rejects.toMatchObject({ name: "AbortError" });
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });

  it("a failing task frees its slot", async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(async () => "next")).resolves.toBe("next");
  });
});

describe("runAll", () => {
  it("reports every outcome, successes and failures, and nothing after an abort", async () => {
    const limiter = createLimiter(2);
    const seen: string[] = [];
    await runAll(limiter, [1, 2, 3, 4], async (n) => (n % 2 ? n * 10 : Promise.reject(new Error(`bad ${n}`))), {
      onResult: (n, o) => seen.push(o.ok ? `${n}:${o.value}` : `${n}:${(o.error as Error).message}`),
    });
    expect(seen.sort()).toEqual(["1:10", "2:bad 2", "3:30", "4:bad 4"]);

    const controller = new AbortController();
    const late: number[] = [];
    const run = runAll(limiter, [1, 2, 3, 4, 5], async (n) => {
      await tick();
      return n;
    }, { signal: controller.signal, onResult: (n) => late.push(n) });
    controller.abort();
    await run;
    expect(late).toEqual([]);
  });
});
