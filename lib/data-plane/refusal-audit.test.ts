import { describe, expect, test } from "vitest";
import type { AuditInput } from "@/lib/audit/schemas";
import { Admission } from "./admission";
import { DOOR_REFUSALS_KIND, RefusalAudit } from "./refusal-audit";

function setup(opts: { failAppends?: number } = {}) {
  const clock = { now: new Date("2026-11-30T15:00:00.000Z") };
  const admission = new Admission({ maxInFlight: 1, now: () => 0 });
  const held = admission.tryEnter();
  if (!held.ok) throw new Error("expected a slot");
  const records: AuditInput[] = [];
  let failures = opts.failAppends ?? 0;
  const errors: unknown[] = [];
  const audit = new RefusalAudit({
    admission,
    append: async (input) => {
      if (failures > 0) {
        failures--;
        throw new Error("audit down");
      }
      records.push(input);
    },
    tenant: "platform",
    now: () => clock.now,
    onError: (err) => errors.push(err),
  });
  const refuse = (n: number) => {
    for (let i = 0; i < n; i++) if (admission.tryEnter().ok) throw new Error("expected a refusal");
  };
  const advance = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));
  return { admission, audit, records, errors, refuse, advance };
}

describe("door refusals in the audit log", () => {
  test("one counted record per flush with refusals, in the platform tenant, naming the window and the limit", async () => {
    const { audit, records, refuse, advance } = setup();
    refuse(3);
    advance(10_000);
    expect(await audit.flush()).toBe(3);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      tenant: "platform",
      kind: DOOR_REFUSALS_KIND,
      decision: "refused",
      data: { count: 3, from: "2026-11-30T15:00:00.000Z", to: "2026-11-30T15:00:10.000Z", limit: 1 },
    });
    expect(records[0].reason).toContain("3 /mcp request(s) refused");
  });

  test.each([
    { label: "no refusals: no record", refusals: [0, 0], expected: [] },
    { label: "each window counts its own refusals", refusals: [2, 5], expected: [2, 5] },
    { label: "a quiet window between writes nothing", refusals: [1, 0, 4], expected: [1, 4] },
  ])("$label", async ({ refusals, expected }) => {
    const { audit, records, refuse, advance } = setup();
    for (const n of refusals) {
      refuse(n);
      advance(1000);
      await audit.flush();
    }
    expect(records.map((r) => (r.data as { count: number }).count)).toEqual(expected);
  });

  test("a count whose record cannot be written is carried into the next record, nothing lost", async () => {
    const { audit, records, errors, refuse, advance } = setup({ failAppends: 1 });
    refuse(2);
    advance(1000);
    expect(await audit.flush()).toBe(0);
    expect(errors).toHaveLength(1);
    refuse(1);
    advance(1000);
    expect(await audit.flush()).toBe(3);
    expect(records).toHaveLength(1);
    expect(records[0].data).toMatchObject({ count: 3, from: "2026-11-30T15:00:00.000Z", to: "2026-11-30T15:00:02.000Z" });
  });

  test("stop() writes what was counted since the last interval", async () => {
    const { audit, records, refuse } = setup();
    const stop = audit.start(3_600_000);
    refuse(4);
    await stop();
    expect(records.map((r) => (r.data as { count: number }).count)).toEqual([4]);
  });
});
