/**
 * Evaluate one call against a compiled policy: top-down, first match wins, no match → the
 * default. Any error (malformed call, unusable fact, missing clock) → deny, with the error in
 * the decision and its trace: the gateway fails closed.
 */
import { traceBlock } from "./conditions";
import { CallFacts } from "./facts";
import type { CompiledPolicy, CompiledRule } from "./compile";
import { RULE_KINDS, type RuleKind } from "./schema";
import type { EvalContext, EvalOptions, PolicyDecision, ToolCall, TraceEntry } from "./types";

export function evaluate(call: unknown, compiled: CompiledPolicy, context: EvalContext, options?: EvalOptions): PolicyDecision {
  const withTrace = options?.trace !== false;
  const trace: TraceEntry[] | undefined = withTrace ? [] : undefined;
  let current: CompiledRule | null = null;
  const tool = typeof (call as ToolCall | null)?.tool === "string" ? (call as ToolCall).tool : "";
  try {
    checkCall(call);
    const kind: RuleKind = call.kind ?? "tool";
    const facts = new CallFacts(call, context ?? ({} as EvalContext), compiled.factSources(tool, context?.facts));
    facts.checkMoney();
    const candidates = compiled.candidates(tool, kind);
    if (!trace) {
      for (let i = 0; i < candidates.length; i++) {
        current = candidates[i].rule;
        if (current.test(facts)) return ruleDecision(current, kind, tool, compiled, context, facts, undefined, undefined);
      }
    } else {
      for (const c of candidates) {
        current = c.rule;
        const entry: TraceEntry = {
          kind: "rule",
          index: c.rule.index,
          name: c.rule.name,
          action: c.rule.action,
          pattern: c.pattern,
          matched: false,
          conditions: [],
        };
        trace.push(entry);
        if (traceBlock(c.rule.conditions, facts, entry.conditions)) {
          entry.matched = true;
          return ruleDecision(c.rule, kind, tool, compiled, context, facts, trace, entry);
        }
      }
    }
    current = null;
    const d = compiled.defaultFor(kind);
    trace?.push({ kind: "default", decision: d.decision, reason: d.reason });
    return {
      decision: d.decision,
      tool,
      rule: null,
      rule_hash: d.identity,
      rule_index: null,
      reason: d.reason,
      matched_default: true,
      required_approvals: d.required_approvals,
      approver_group: d.approver_group,
      expires_in_seconds: d.expires_in_seconds,
      expires_at: d.expires_in_seconds === null ? null : expiresAt(context, d.expires_in_seconds),
      policy_version: compiled.version,
      policy_hash: compiled.hash,
      ...(trace ? { trace } : {}),
    };
  } catch (e) {
    const message = errorMessage(e);
    const where = current ? ` (rule "${current.name}")` : "";
    trace?.push(current ? { kind: "error", message, rule: current.name, index: current.index } : { kind: "error", message });
    return {
      decision: "deny",
      tool,
      rule: null,
      rule_hash: null,
      rule_index: null,
      reason: `policy evaluation failed${where}: ${message}; denied (fail closed)`,
      matched_default: false,
      required_approvals: null,
      approver_group: null,
      expires_in_seconds: null,
      expires_at: null,
      policy_version: compiled?.version ?? "unknown",
      policy_hash: compiled?.hash ?? "unknown",
      error: message,
      ...(trace ? { trace } : {}),
    };
  }
}

function ruleDecision(
  rule: CompiledRule,
  kind: RuleKind,
  tool: string,
  compiled: CompiledPolicy,
  context: EvalContext,
  facts: CallFacts,
  trace: TraceEntry[] | undefined,
  entry: Extract<TraceEntry, { kind: "rule" }> | undefined,
): PolicyDecision {
  // A rule whose unknown_cost applies decides with that setting (and its own identity) instead of its action.
  const cost = rule.unknownCost ? facts.cost() : null;
  const unknownNote = cost && !cost.known ? cost.note : null;
  const u = unknownNote !== null ? rule.unknownCost : null;
  if (u && entry) entry.unknown_cost = u.action;
  const fields = u ?? rule;
  const d: PolicyDecision = {
    decision: u ? u.action : rule.action,
    tool,
    rule: rule.name,
    rule_index: rule.index,
    rule_hash: u ? u.identity : rule.identity,
    reason: u ? `${unknownNote}; rule "${rule.name}" decides ${u.fromDefaults ? "defaults.unknown_cost" : "unknown_cost"}: ${u.action}` : rule.reason,
    matched_default: false,
    required_approvals: fields.required_approvals,
    approver_group: fields.approver_group,
    expires_in_seconds: fields.expires_in_seconds,
    expires_at: fields.expires_in_seconds === null ? null : expiresAt(context, fields.expires_in_seconds),
    policy_version: compiled.version,
    policy_hash: compiled.hash,
  };
  if (kind !== "tool" && d.decision === "approval") {
    // The schema refuses such rules; a compiled one from elsewhere still cannot open an approval.
    Object.assign(d, { decision: "deny", reason: `${d.reason}; approval is not supported for ${kind}s, so this is denied`, required_approvals: null, approver_group: null, expires_in_seconds: null, expires_at: null });
  }
  if (trace) d.trace = trace;
  return d;
}

function expiresAt(context: EvalContext, seconds: number): string {
  const now = context?.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new Error("an approval needs a valid `now` in the context to set its expiry");
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

function checkCall(call: unknown): asserts call is ToolCall {
  if (call === null || typeof call !== "object" || Array.isArray(call)) throw new Error("call must be an object {tool, arguments}");
  const c = call as Record<string, unknown>;
  if (typeof c.tool !== "string" || c.tool === "") throw new Error("call.tool must be a non-empty string");
  if (c.kind !== undefined && !(RULE_KINDS as readonly unknown[]).includes(c.kind)) throw new Error(`call.kind must be one of ${RULE_KINDS.join(", ")}`);
  const a = c.arguments;
  if (a !== undefined && (a === null || typeof a !== "object" || Array.isArray(a))) throw new Error("call.arguments must be an object");
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
