import { describe, expect, test } from "vitest";
import { configFromRows, QuotaConfigBodySchema, rowsFromBody } from "./limits";
import { dayWindow, minuteWindow, monthWindow } from "./windows";

describe("PUT body", () => {
  test("the documented example is accepted, absent limits are no limit", () => {
    const body = QuotaConfigBodySchema.parse({ requests_per_minute: 60, max_concurrent: 10, daily_budget_usd: 100, monthly_budget_usd: 2000, tools: { "cloud.ops": { requests_per_minute: 5 } } });
    expect(rowsFromBody(body)).toEqual([
      { tool: "*", requestsPerMinute: 60, maxConcurrent: 10, dailyBudgetUsd: 100, monthlyBudgetUsd: 2000 },
      { tool: "cloud.ops", requestsPerMinute: 5, maxConcurrent: null, dailyBudgetUsd: null, monthlyBudgetUsd: null },
    ]);
  });

  test("an empty body clears every limit; tools that limit nothing are dropped", () => {
    expect(rowsFromBody(QuotaConfigBodySchema.parse({ tools: { "fs.write": { requests_per_minute: null } } }))).toEqual([
      { tool: "*", requestsPerMinute: null, maxConcurrent: null, dailyBudgetUsd: null, monthlyBudgetUsd: null },
    ]);
  });

  test.each([
    ["a fractional rate", { requests_per_minute: 1.5 }, "requests_per_minute", /whole number/],
    ["a negative budget", { daily_budget_usd: -1 }, "daily_budget_usd", /too small/i],
    ["a string number", { max_concurrent: "10" }, "max_concurrent", /expected number/],
    ["an unknown limit", { requests_per_hour: 5 }, "", /Unrecognized key: "requests_per_hour"/],
    ["a glob tool name", { tools: { "fs.*": { requests_per_minute: 1 } } }, "tools.fs.*", /exact tool name/],
    ["the tenant wildcard as a tool", { tools: { "*": { requests_per_minute: 1 } } }, "tools.*", /exact tool name/],
    ["an unknown per-tool key", { tools: { "cloud.ops": { rpm: 1 } } }, "tools.cloud.ops", /Unrecognized key: "rpm"/],
  ])("refuses %s, naming the field", (_label, body, path, message) => {
    const r = QuotaConfigBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0];
    expect(issue.path.join(".")).toBe(path);
    expect(issue.message).toMatch(message);
  });

  test("rows read back as the body's shape, with who changed it last", () => {
    const at = new Date("2026-11-21T10:00:00Z");
    const later = new Date("2026-11-21T11:00:00Z");
    const base = { tenantId: "t", requestsPerMinute: null, maxConcurrent: null, dailyBudgetUsd: null, monthlyBudgetUsd: null };
    expect(
      configFromRows("t", [
        { ...base, tool: "*", dailyBudgetUsd: 100, updatedBy: "alice", updatedAt: at },
        { ...base, tool: "cloud.ops", requestsPerMinute: 5, updatedBy: "bob", updatedAt: later },
      ]),
    ).toEqual({
      tenant: "t",
      requests_per_minute: null,
      max_concurrent: null,
      daily_budget_usd: 100,
      monthly_budget_usd: null,
      tools: { "cloud.ops": { requests_per_minute: 5, max_concurrent: null, daily_budget_usd: null, monthly_budget_usd: null } },
      updated_by: "bob",
      updated_at: later.toISOString(),
    });
  });
});

describe("windows (UTC, fixed)", () => {
  test.each([
    ["mid-minute", "2026-11-21T10:31:42.123Z", minuteWindow, "2026-11-21T10:31", "2026-11-21T10:32:00.000Z"],
    ["last minute of a day", "2026-11-21T23:59:59.999Z", minuteWindow, "2026-11-21T23:59", "2026-11-22T00:00:00.000Z"],
    ["a day", "2026-11-21T10:31:42Z", dayWindow, "2026-11-21", "2026-11-22T00:00:00.000Z"],
    ["month end", "2026-11-30T23:00:00Z", dayWindow, "2026-11-30", "2026-12-01T00:00:00.000Z"],
    ["a month", "2026-11-21T10:31:42Z", monthWindow, "2026-11", "2026-12-01T00:00:00.000Z"],
    ["December", "2026-12-31T23:59:59Z", monthWindow, "2026-12", "2027-01-01T00:00:00.000Z"],
    ["February of a leap year", "2028-02-29T12:00:00Z", dayWindow, "2028-02-29", "2028-03-01T00:00:00.000Z"],
  ])("%s", (_label, at, fn, id, ends) => {
    const w = fn(Date.parse(at));
    expect(w.id).toBe(id);
    expect(new Date(w.endsAt).toISOString()).toBe(ends);
  });
});
