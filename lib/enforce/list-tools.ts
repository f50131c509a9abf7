import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { can } from "@/lib/auth/rbac";
import { type CompiledPolicy, patternCovers, patternsOverlap, type RuleKind } from "@/lib/policy";
import type { Principal } from "./types";

/**
 * List-time policy: false when the policy denies the tool for every possible argument, so agents
 * are not shown tools they can never use. Conditional rules are assumed to be able to match
 * (conservative: a tool is hidden only when nothing but a deny can decide it).
 */
export function mayBeAllowed(compiled: CompiledPolicy, tool: string, kind: RuleKind = "tool"): boolean {
  for (const { rule } of compiled.candidates(tool, kind)) {
    // A deny rule whose unknown_cost is allow/approval still lets calls of unknown cost through.
    if (rule.action !== "deny" || (rule.unknownCost !== null && rule.unknownCost.action !== "deny")) return true;
    if (rule.conditions.length === 0) return false;
  }
  return compiled.defaultFor(kind).decision !== "deny";
}

/**
 * List-time policy for a resource template: could some URI it expands to be allowed? Its
 * expressions (`{id}`, `{+path}`) become `*`; listed when a rule that can allow overlaps it before
 * an unconditional deny covers it whole (conservative: kept when unsure). Reads of its URIs are
 * each decided on their own.
 */
export function templateMayBeAllowed(compiled: CompiledPolicy, uriTemplate: string): boolean {
  const glob = uriTemplate.replace(/\{[^}]*\}/g, "*");
  for (const rule of compiled.rules) {
    if (rule.kind !== "resource" || !rule.patterns.some((p) => patternsOverlap(glob, p))) continue;
    if (rule.action !== "deny") return true;
    if (rule.conditions.length === 0 && rule.patterns.some((p) => patternCovers(p, glob))) return false;
  }
  return compiled.defaultFor("resource").decision !== "deny";
}

export interface ListableTool {
  tool: Tool;
  /** Built-in tools need an RBAC permission on top of the policy. */
  permission?: Parameters<typeof can>[1];
  /** The name the policy decides by (an alias's canonical tool); the tool's own name otherwise. */
  policyName?: string;
}

export function visibleTools(tools: ListableTool[], compiled: CompiledPolicy | null, principal: Principal): Tool[] {
  if (!compiled) return [];
  return tools.filter((t) => (!t.permission || can(principal.roles, t.permission)) && mayBeAllowed(compiled, t.policyName ?? t.tool.name)).map((t) => t.tool);
}
