import { type AuditFilterValues, auditHref } from "@/lib/audit/filter-params";
import type { DecisionSeries } from "./schemas";

/**
 * Where each figure of the dashboard leads: the audit explorer filtered to the records it counts
 * (same kinds, decisions, outcomes and [from, to) as the SQL that produced it). Pure.
 */

type Window = { from: string; to: string };

export function seriesFilter(key: DecisionSeries, w: Window): AuditFilterValues {
  if (key === "error") return { kind: "tool_result", outcome: "error", from: w.from, to: w.to };
  if (key === "other") return { kind: "tool_decision", from: w.from, to: w.to };
  return { kind: "tool_decision", decision: key, from: w.from, to: w.to };
}

export const seriesHref = (key: DecisionSeries, w: Window) => auditHref(seriesFilter(key, w));

/** A tool of the top lists ('' when calls had no tool name: then every decision of the range). */
export function toolHref(tool: string, w: Window, deniedOnly = false): string {
  return auditHref({ kind: "tool_decision", ...(deniedOnly ? { decision: "deny" } : {}), ...(tool ? { tool } : {}), from: w.from, to: w.to });
}

/** A denying rule; null (no rule decided: a limit, a budget…) lists every denial of the range. */
export function deniedRuleHref(rule: string | null, w: Window): string {
  return auditHref({ kind: "tool_decision", decision: "deny", ...(rule ? { rule } : {}), from: w.from, to: w.to });
}

export const latencyHref = (which: "decision" | "upstream", w: Window) => auditHref({ kind: which === "decision" ? "tool_decision" : "tool_result", from: w.from, to: w.to });

export const approvalsHref = (status: string, w: Window) => auditHref({ kind: "approval_resolution", decision: status, from: w.from, to: w.to });
