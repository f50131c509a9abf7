import { randomUUID } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalView } from "@/lib/approvals/schemas";
import type { Gate } from "@/lib/approvals/state-machine";
import { digest } from "@/lib/canonical";
import { AppError, isAppError } from "@/lib/errors";
import { evaluate, type CostFact, type PolicyDecision } from "@/lib/policy";
import type { QuotaDenial } from "@/lib/quota";
import { type ArgumentViolation, checkArgumentBounds, checkToolName, DEFAULT_ARGUMENT_LIMITS, describeViolation, TOOL_NAME_MAX } from "./argument-limits";
import type { EnforceDeps } from "./deps";
import type { ApprovalInfo, CallOutcome, EnforceOptions, GatewayCall, Principal, Verdict } from "./types";

/** The raw policy decision for a call as `principal` would make it (no side effects, no trace). */
export async function policyDecision(deps: EnforceDeps, principal: Principal, call: GatewayCall): Promise<{ decision: PolicyDecision; policyVersion: number | null }> {
  const { decision, policyVersion } = await decide(deps, principal, call, false);
  return { decision, policyVersion };
}

/** The policy decision for a call, with its trace; no side effects (guard/check, simulate-like). */
export async function checkCall(deps: EnforceDeps, principal: Principal, call: GatewayCall): Promise<Verdict> {
  const traceId = randomUUID();
  const violation = boundsViolation(deps, call);
  if (violation) throw argumentsTooLarge(violation, traceId, false);
  const { decision, policyVersion, cost } = await decide(deps, principal, call, true);
  return verdictOf(call.tool, traceId, decision, policyVersion, cost, true);
}

interface Decided {
  decision: PolicyDecision;
  policyVersion: number | null;
  cost: CostFact;
  /** The active policy's `defaults.unknown_cost: allow`: budgets admit an unknown-cost call at $0. */
  unknownCostAllowed: boolean;
}

async function decide(deps: EnforceDeps, principal: Principal, call: GatewayCall, trace: boolean): Promise<Decided> {
  const cost = safeCost(deps, call);
  const active = await deps.activePolicy(principal.tenant).catch((err: Error) => err);
  if (active === null || active instanceof Error) {
    const reason = active === null ? `tenant ${principal.tenant} has no active policy` : `the active policy cannot be loaded: ${active.message}`;
    return { decision: failClosed(call.tool, reason), policyVersion: null, cost, unknownCostAllowed: false };
  }
  let facts: ReturnType<NonNullable<EnforceDeps["factMaps"]>>;
  try {
    facts = deps.factMaps?.(principal.tenant);
  } catch (err) {
    // Without the upstream's mapping an argument it names (fs.move's destination) would go unchecked.
    const reason = `the upstreams' fact mappings cannot be read: ${(err as Error).message}`;
    return { decision: failClosed(call.tool, reason), policyVersion: active.version, cost, unknownCostAllowed: false };
  }
  const decision = evaluate(
    { tool: call.tool, arguments: call.arguments },
    active.compiled,
    { tenant: principal.tenant, subject: principal.subject, roles: principal.roles, now: deps.now(), estimateCost: () => cost, facts },
    { trace },
  );
  return { decision, policyVersion: active.version, cost, unknownCostAllowed: active.compiled.defaults.unknown_cost === "allow" };
}

function safeCost(deps: EnforceDeps, call: GatewayCall): CostFact {
  try {
    const c = deps.estimateCost(call.tool, call.arguments);
    if (typeof c !== "number") return c;
    if (Number.isFinite(c) && c >= 0) return { usd: c, known: true };
    return { usd: 0, known: false, note: `cost unknown: the estimator returned ${c}` };
  } catch (err) {
    // An unusable estimate must not make a call cheaper: unknown is over every cost rule, and
    // budgets refuse it. (A negative or non-finite stated cost is also denied by the policy.)
    return { usd: 0, known: false, note: `cost unknown: ${(err as Error).message}` };
  }
}

function failClosed(tool: string, reason: string): PolicyDecision {
  return {
    decision: "deny",
    tool,
    rule: null,
    rule_hash: null,
    rule_index: null,
    reason,
    matched_default: false,
    required_approvals: null,
    approver_group: null,
    expires_in_seconds: null,
    expires_at: null,
    policy_version: "none",
    policy_hash: "none",
    error: reason,
    trace: [{ kind: "error", message: reason }],
  };
}

function verdictOf(tool: string, traceId: string, d: PolicyDecision, policyVersion: number | null, cost: CostFact, withTrace: boolean): Verdict {
  return {
    decision: d.decision,
    tool,
    trace_id: traceId,
    rule: d.rule ?? null,
    reason: d.reason ?? null,
    policy_version: policyVersion,
    estimated_cost_usd: cost.known ? cost.usd : 0,
    cost_known: cost.known,
    ...(d.error ? { error: { code: "policy_error", message: String(d.error) } } : {}),
    ...(withTrace && d.trace ? { trace: d.trace } : {}),
  };
}

/** What gates a call the policy decided `approval` for: the rule an approval must have been granted under. */
function gateOf(d: PolicyDecision): Gate | null {
  if (d.decision !== "approval" || !d.rule_hash) return null;
  return { ruleHash: d.rule_hash, requiredApprovals: d.required_approvals ?? 1, approverGroup: d.approver_group };
}

export const ARGUMENTS_TOO_LARGE = "arguments_too_large";

/** The first bound the call's arguments (then its meta) pass; null when within them all. */
function boundsViolation(deps: EnforceDeps, call: GatewayCall): ArgumentViolation | null {
  const limits = deps.argumentLimits ?? DEFAULT_ARGUMENT_LIMITS;
  return checkToolName(call.tool) ?? checkArgumentBounds(call.arguments, limits) ?? (call.meta === undefined ? null : checkArgumentBounds(call.meta, limits, "meta"));
}

function argumentsTooLarge(v: ArgumentViolation, traceId: string, audited: boolean): AppError {
  return new AppError(400, ARGUMENTS_TOO_LARGE, `${describeViolation(v)}; the call was refused (trace ${traceId})`, { ...v, trace_id: traceId, audited });
}

/**
 * Oversized arguments are refused before anything reads them, and the refusal is recorded with a
 * summary (which limit, how much, where), never the arguments themselves. When the audit log
 * cannot take the record the call is refused all the same.
 */
async function refuseArguments(deps: EnforceDeps, principal: Principal, call: GatewayCall, opts: EnforceOptions, traceId: string, v: ArgumentViolation): Promise<never> {
  let audited = false;
  try {
    await deps.audit({
      tenant: principal.tenant,
      kind: "tool_decision",
      traceId,
      subject: principal.subject,
      tool: call.tool.length > TOOL_NAME_MAX ? `${call.tool.slice(0, TOOL_NAME_MAX)}…` : call.tool,
      decision: "deny",
      rule: null,
      reason: describeViolation(v),
      data: { source: opts.source, refused: ARGUMENTS_TOO_LARGE, limit: v.limit, max: v.max, actual: v.actual, path: v.path },
    });
    audited = true;
  } catch {
    // deps.audit logs the failure; the refusal stands.
  }
  throw argumentsTooLarge(v, traceId, audited);
}

/** A dependency's failure in a few words for an answer: its last line (Prisma puts the cause there), no file paths, bounded. */
function briefCause(err: unknown): string {
  const first = String((err as Error)?.message ?? err).split("\n").filter((l) => l.trim()).pop() ?? "unknown error";
  const clean = first.replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@~-]+){2,}(?::\d+)*/g, "<path>").trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

function approvalInfo(a: ApprovalView): ApprovalInfo {
  return {
    id: a.id,
    status: a.status,
    required_approvals: a.required_approvals,
    approvals: a.approvals,
    approver_group: a.approver_group,
    expires_at: a.expires_at,
    retry: `once approved, repeat the same call with _meta.approval_id (MCP) or approval_id (guard API) = "${a.id}"`,
  };
}

function limitReason(l: QuotaDenial) {
  return l.resets_at && !l.message.includes(l.resets_at) ? `${l.message} (resets at ${l.resets_at})` : l.message;
}

/**
 * The hot path of ARCHITECTURE.md: decide (policy, approval binding), meter (rate limits, quotas,
 * budgets), record (audit, before anything runs), hand off to a human when asked, forward what is
 * allowed. Every failure of a dependency denies the call (fail closed) and says why.
 */
export async function enforceCall(deps: EnforceDeps, principal: Principal, call: GatewayCall, opts: EnforceOptions): Promise<CallOutcome> {
  const started = performance.now();
  const traceId = randomUUID();
  const violation = boundsViolation(deps, call);
  if (violation) await refuseArguments(deps, principal, call, opts, traceId, violation);
  const { decision, policyVersion, cost, unknownCostAllowed } = await decide(deps, principal, call, true);
  const verdict = verdictOf(call.tool, traceId, decision, policyVersion, cost, true);
  const argsDigest = digest(call.arguments);
  let approvalId: string | undefined;

  // Every call counts against the rate limits; only a call that will run spends the budget.
  let release: (() => Promise<void>) | undefined;
  try {
    const willRun = verdict.decision === "allow" || (verdict.decision === "approval" && !!call.approvalId);
    const admitted = await deps.admit({
      tenant: principal.tenant,
      tool: call.tool,
      costUsd: willRun && cost.known ? cost.usd : 0,
      costKnown: !willRun || cost.known,
      allowUnknownCost: unknownCostAllowed,
      now: deps.now(),
    });
    if (admitted.ok) release = admitted.release;
    else {
      verdict.decision = "deny";
      verdict.rule = `limit:${admitted.limit}`;
      verdict.reason = limitReason(admitted);
      verdict.limit = admitted;
    }
  } catch (err) {
    verdict.decision = "deny";
    verdict.reason = `rate limits and budgets cannot be checked (${(err as Error).message}); the call is refused`;
    verdict.error = { code: isAppError(err) ? err.code : "quota_unavailable", message: (err as Error).message };
  }

  // A retry carrying an approval id runs once, and only for the exact call that was approved.
  // A policy that now denies still wins; a policy that now allows needs no approval. The approval
  // is spent only once the limits admitted the call, so a blocked call keeps its approval.
  const gate = gateOf(decision);
  if (verdict.decision === "approval" && call.approvalId && release && gate) {
    const service = await deps.approvals();
    const consumed = await service.consume({ id: call.approvalId, tenant: principal.tenant, subject: principal.subject, tool: call.tool, argsDigest, gate, now: deps.now() });
    if (consumed.ok) {
      verdict.decision = "allow";
      verdict.reason = `approved by ${consumed.approval.votes.filter((v) => v.decision === "approved").map((v) => v.approver).join(", ")} (approval ${consumed.approval.id}); ${verdict.reason ?? ""}`.trim();
      verdict.approval = approvalInfo(consumed.approval);
      approvalId = consumed.approval.id;
    } else if (consumed.status === "pending") {
      approvalId = call.approvalId;
      const current = await service.get(call.approvalId, principal.tenant).catch(() => null);
      if (current) verdict.approval = approvalInfo(current);
      verdict.reason = `approval ${call.approvalId} is still pending: ${consumed.message}`;
    } else {
      verdict.decision = "deny";
      verdict.reason = `approval ${call.approvalId} cannot be used: ${consumed.message}`;
      verdict.error = { code: `approval_${consumed.code}`, message: consumed.message };
    }
  }

  try {
    // A new approval request for the exact call (bound to tool, tenant, subject and args digest).
    // When the approval cannot be stored (database read-only or down), the call is denied and the
    // denial is still recorded below when the audit log can take it.
    if (verdict.decision === "approval" && !call.approvalId) {
      try {
        const service = await deps.approvals();
        const { approval } = await service.createFromPolicyDecision({
          tenant: principal.tenant,
          subject: principal.subject,
          tool: call.tool,
          args: call.arguments,
          decision: { ...decision, reason: decision.reason ?? null },
          policyVersion,
          traceId,
          context: call.meta ?? null,
        });
        approvalId = approval.id;
        verdict.approval = approvalInfo(approval);
      } catch (err) {
        deps.log.error({ err, tenant: principal.tenant, tool: call.tool, traceId }, "approval request could not be stored");
        const message = `the approval request could not be stored (${briefCause(err)})`;
        verdict.decision = "deny";
        verdict.reason = `${verdict.reason ?? "approval required"}; ${message}, so the call is refused: retry when approvals are available`;
        verdict.error = { code: "approvals_unavailable", message };
      }
    }

    // The record comes first: nothing runs that is not audited.
    try {
      verdict.audit = await deps.audit({
        tenant: principal.tenant,
        kind: "tool_decision",
        traceId,
        subject: principal.subject,
        tool: call.tool,
        args: call.arguments,
        decision: verdict.decision,
        rule: verdict.rule,
        reason: verdict.reason,
        policyVersion,
        approvalId: approvalId ?? null,
        latencyMs: round(performance.now() - started),
        data: { source: opts.source, estimated_cost_usd: verdict.estimated_cost_usd, cost_known: cost.known, limit: verdict.limit ?? null, error: verdict.error ?? null, meta: call.meta ?? null, trace: verdict.trace ?? null },
      });
    } catch (err) {
      verdict.decision = "deny";
      verdict.reason = `the decision could not be recorded in the audit log (${(err as Error).message}); nothing was forwarded`;
      verdict.error = { code: "audit_unavailable", message: (err as Error).message };
      verdict.audit = undefined;
      return { verdict };
    }

    if (verdict.decision === "approval" && opts.forward && opts.syncWaitMs > 0 && approvalId && !call.approvalId && gate) {
      const waited = await waitAndRetry(deps, principal, call, opts, verdict, approvalId, argsDigest, gate, policyVersion);
      if (waited) return waited;
    }

    if (verdict.decision !== "allow" || !opts.forward) return { verdict };
    return { verdict, result: await forward(deps, principal, call, opts, verdict, approvalId, policyVersion) };
  } finally {
    await release?.();
  }
}

/** Sync mode: wait for the human decision (woken by pub/sub), then run or refuse the call. */
async function waitAndRetry(
  deps: EnforceDeps,
  principal: Principal,
  call: GatewayCall,
  opts: EnforceOptions,
  verdict: Verdict,
  approvalId: string,
  argsDigest: string,
  gate: Gate,
  policyVersion: number | null,
): Promise<CallOutcome | null> {
  const service = await deps.approvals();
  const waited = await service.waitForResolution(approvalId, opts.syncWaitMs);
  if (waited.status === "pending") {
    verdict.reason = `${verdict.reason ?? "approval required"}; no decision within ${opts.syncWaitMs} ms`;
    return null;
  }
  if (waited.status !== "approved") {
    const current = await service.get(approvalId, principal.tenant).catch(() => null);
    if (current) verdict.approval = approvalInfo(current);
    verdict.decision = "deny";
    verdict.reason = `approval ${approvalId} was ${waited.status}`;
    return { verdict };
  }
  const consumed = await service.consume({ id: approvalId, tenant: principal.tenant, subject: principal.subject, tool: call.tool, argsDigest, gate, now: deps.now() });
  if (!consumed.ok) {
    verdict.decision = "deny";
    verdict.reason = `approval ${approvalId} cannot be used: ${consumed.message}`;
    return { verdict };
  }
  verdict.decision = "allow";
  verdict.approval = approvalInfo(consumed.approval);
  verdict.reason = `approved by ${consumed.approval.votes.filter((v) => v.decision === "approved").map((v) => v.approver).join(", ")} (approval ${approvalId})`;
  try {
    verdict.audit = await deps.audit({
      tenant: principal.tenant,
      kind: "tool_decision",
      traceId: verdict.trace_id,
      subject: principal.subject,
      tool: call.tool,
      args: call.arguments,
      decision: "allow",
      rule: verdict.rule,
      reason: verdict.reason,
      policyVersion,
      approvalId,
      data: { source: opts.source, after_wait: true },
    });
  } catch (err) {
    verdict.decision = "deny";
    verdict.reason = `the decision could not be recorded in the audit log (${(err as Error).message}); nothing was forwarded`;
    verdict.error = { code: "audit_unavailable", message: (err as Error).message };
    return { verdict };
  }
  return { verdict, result: await forward(deps, principal, call, opts, verdict, approvalId, policyVersion) };
}

async function forward(
  deps: EnforceDeps,
  principal: Principal,
  call: GatewayCall,
  opts: EnforceOptions,
  verdict: Verdict,
  approvalId: string | undefined,
  policyVersion: number | null,
): Promise<CallToolResult> {
  const started = performance.now();
  let result: CallToolResult;
  let outcome: string;
  try {
    result = await deps.execute(call.tool, call.arguments, { principal, traceId: verdict.trace_id, signal: opts.signal });
    outcome = result.isError ? "tool_error" : "ok";
  } catch (err) {
    outcome = (err as { code?: string }).code ?? (err as Error).name ?? "error";
    result = {
      isError: true,
      content: [{ type: "text", text: `${call.tool} failed upstream: ${(err as Error).message} (trace ${verdict.trace_id})` }],
    };
  }
  // The outcome is recorded too, without holding the agent's answer: the decision record written
  // before forwarding is what guarantees fail-closed; a lost outcome record is logged by deps.audit.
  void deps
    .audit({
      tenant: principal.tenant,
      kind: "tool_result",
      traceId: verdict.trace_id,
      subject: principal.subject,
      tool: call.tool,
      decision: verdict.decision,
      policyVersion,
      approvalId: approvalId ?? null,
      latencyMs: round(performance.now() - started),
      upstreamOutcome: outcome,
    })
    .catch(() => {});
  return result;
}

function round(ms: number) {
  return Math.round(ms * 1000) / 1000;
}
