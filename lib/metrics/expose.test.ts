import fc from "fast-check";
import { Counter, Registry } from "prom-client";
import { describe, expect, test } from "vitest";
import { exposeFor, sampleLabels } from "./expose";

async function exposition(series: { tenant?: string; decision: string; route?: string }[]) {
  const registry = new Registry();
  const decisions = new Counter({ name: "canopy_decisions_total", help: "by tenant", labelNames: ["tenant", "decision"], registers: [registry] });
  const http = new Counter({ name: "canopy_http_requests_total", help: "by route", labelNames: ["route", "status"], registers: [registry] });
  for (const s of series) {
    if (s.tenant !== undefined) decisions.inc({ tenant: s.tenant, decision: s.decision });
    if (s.route !== undefined) http.inc({ route: s.route, status: "200" });
  }
  return registry.metrics();
}

describe("metrics exposition per tenant", () => {
  test.each([
    ["plain", 'canopy_decisions_total{tenant="acme",decision="allow"} 3', { tenant: "acme", decision: "allow" }],
    ["no labels", "process_cpu_seconds_total 1.5", {}],
    ["escaped quote posing as a label", 'x{route="a\\",tenant=\\"acme",status="200"} 1', { route: 'a",tenant="acme', status: "200" }],
    ["escaped backslash and newline", 'x{route="a\\\\b\\nc"} 1', { route: "a\\b\nc" }],
    ["comment", "# HELP x something", null],
    ["unterminated", 'x{tenant="acme} 1', null],
  ])("parses labels: %s", (_label, line, expected) => {
    expect(sampleLabels(line)).toEqual(expected);
  });

  test("a tenant sees its own decision series and process-wide ones, never another tenant's; null sees all", async () => {
    const text = await exposition([
      { tenant: "tenant-a", decision: "allow" },
      { tenant: "tenant-b", decision: "deny" },
      { decision: "x", route: 'r",tenant="tenant-b' },
    ]);
    const forA = exposeFor(text, "tenant-a");
    expect(forA).toContain('canopy_decisions_total{tenant="tenant-a",decision="allow"} 1');
    expect(forA).not.toMatch(/tenant="tenant-b"/);
    expect(forA).toContain("# HELP canopy_decisions_total");
    expect(forA).toContain("canopy_http_requests_total{route="); // the route label only looks like a tenant
    expect(exposeFor(text, null)).toBe(text);
  });

  test("property: exactly the series without a tenant label or with the caller's survive", async () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const value = fc.string({ maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ tenant: fc.option(slug, { nil: undefined }), decision: fc.constantFrom("allow", "deny"), route: fc.option(value, { nil: undefined }) }), { maxLength: 12 }), slug, async (series, caller) => {
        const text = await exposition(series);
        const kept = exposeFor(text, caller).split("\n").filter((l) => l && !l.startsWith("#"));
        for (const line of kept) {
          const t = sampleLabels(line)!.tenant;
          expect(t === undefined || t === caller).toBe(true);
        }
        const expected = new Set(series.filter((s) => s.tenant === caller).map((s) => s.decision));
        const seen = new Set(kept.filter((l) => l.startsWith("canopy_decisions_total")).map((l) => sampleLabels(l)!.decision));
        expect(seen).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
