import { describe, expect, test } from "vitest";
import { auditFiltersFromParams, auditHref } from "./filter-params";

describe("audit explorer URL filters", () => {
  test.each([
    ["nothing", {}, {}],
    ["known filters kept", { kind: "tool_decision", decision: "deny", from: "2026-11-30T10:00:00.000Z" }, { kind: "tool_decision", decision: "deny", from: "2026-11-30T10:00:00.000Z" }],
    ["unknown keys dropped", { kind: "tool_result", tenant: "globex", cursor: "9" }, { kind: "tool_result" }],
    ["a repeated key: the first", { tool: ["fs.read", "fs.write"] }, { tool: "fs.read" }],
    ["empty and oversized values dropped", { rule: "", q: "x".repeat(501) }, {}],
  ])("%s", (_label, params, expected) => {
    expect(auditFiltersFromParams(params)).toEqual(expected);
  });

  test.each([
    ["no filters", {}, "/audit"],
    ["a decision in a bucket", { kind: "tool_decision", decision: "deny", from: "2026-11-30T10:00:00.000Z", to: "2026-11-30T11:00:00.000Z" }, "/audit?decision=deny&kind=tool_decision&from=2026-11-30T10%3A00%3A00.000Z&to=2026-11-30T11%3A00%3A00.000Z"],
    ["a tool with special characters", { tool: "a&b c" }, "/audit?tool=a%26b+c"],
  ])("auditHref: %s", (_label, filters, href) => {
    expect(auditHref(filters)).toBe(href);
    expect(auditFiltersFromParams(Object.fromEntries(new URL(href, "http://x").searchParams))).toEqual(filters);
  });
});
