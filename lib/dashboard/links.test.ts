import { describe, expect, test } from "vitest";
import { auditFiltersFromParams } from "@/lib/audit/filter-params";
import { approvalsHref, deniedRuleHref, latencyHref, seriesHref, toolHref } from "./links";

const w = { from: "2026-11-30T10:00:00.000Z", to: "2026-11-30T11:00:00.000Z" };
const filtersOf = (href: string) => auditFiltersFromParams(Object.fromEntries(new URL(href, "http://console").searchParams));

describe("dashboard links into the audit explorer", () => {
  test.each([
    ["allow bar", seriesHref("allow", w), { kind: "tool_decision", decision: "allow" }],
    ["deny bar", seriesHref("deny", w), { kind: "tool_decision", decision: "deny" }],
    ["approval bar", seriesHref("approval", w), { kind: "tool_decision", decision: "approval" }],
    ["upstream error bar: the failed results", seriesHref("error", w), { kind: "tool_result", outcome: "error" }],
    ["other decisions", seriesHref("other", w), { kind: "tool_decision" }],
    ["a top tool", toolHref("fs.write", w), { kind: "tool_decision", tool: "fs.write" }],
    ["a top denied tool", toolHref("fs.write", w, true), { kind: "tool_decision", decision: "deny", tool: "fs.write" }],
    ["calls without a tool name", toolHref("", w), { kind: "tool_decision" }],
    ["a denying rule", deniedRuleHref("no-writes", w), { kind: "tool_decision", decision: "deny", rule: "no-writes" }],
    ["denials no rule decided", deniedRuleHref(null, w), { kind: "tool_decision", decision: "deny" }],
    ["decision latency", latencyHref("decision", w), { kind: "tool_decision" }],
    ["upstream latency", latencyHref("upstream", w), { kind: "tool_result" }],
    ["approvals approved", approvalsHref("approved", w), { kind: "approval_resolution", decision: "approved" }],
  ])("%s", (_label, href, filters) => {
    expect(href.startsWith("/audit?")).toBe(true);
    expect(filtersOf(href)).toEqual({ ...filters, from: w.from, to: w.to });
  });
});
