import { randomUUID } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ConsumeResult } from "@/lib/approvals";
import type { ApprovalView } from "@/lib/approvals/schemas";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Gate } from "@/lib/approvals/state-machine";
import { digest } from "@/lib/canonical";
import type { Queryer } from "@/lib/db/audit-records";
import { AppError, isAppError } from "@/lib/errors";
import { MISSING_CLIENT_CAPABILITY } from "@/lib/mcp/upstreams/errors";
import { evaluate, type CostFact, type PolicyDecision } from "@/lib/policy";
import type { QuotaDenial } from "@/lib/quota";
import { type ArgumentViolation, checkArgumentBounds, checkToolName, DEFAULT_ARGUMENT_LIMITS, describeViolation, TOOL_NAME_MAX } from "./argument-limits";
import type { EnforceDeps } from "./deps";
import type { ApprovalInfo, CallFacts, CallOutcome, EnforceOptions, GatewayCall, Principal, Verdict } from "./types";

/** The raw policy decision for a call as `principal` would make it (no side effects, no trace). */
export async function policyDecision(deps: EnforceDeps, principal: Principal, call: GatewayCall): Promise<{ decision: PolicyDecision; policyVersion: number | null }> {
  const facts = await factsStep(deps, principal, call, undefined);
  if (!facts.ok) return { decision: failClosed(call.tool, facts.refusal.message), policyVersion: null };
  const { decision, policyVersion } = await decide(deps, principal, call, false, facts.facts);
  return { decision, policyVersion };
}

/** The policy decision for a call, with its trace; no side effects (guard/check, simulate-like). */
export async function checkCall(deps: EnforceDeps, principal: Principal, call: GatewayCall): Promise<Verdict> {
  const traceId = randomUUID();
  const violation = boundsViolation(deps, call);
  if (violation) throw argumentsTooLarge(violation, traceId, false);
  const facts = await factsStep(deps, principal, call, undefined);
  if (!facts.ok) return refusedVerdict(call.tool, traceId, facts.refusal);
  const { decision, policyVersion, cost } = await decide(deps, principal, call, true, facts.facts);
  return verdictOf(call.tool, traceId, decision, policyVersion, cost, true);
}

interface FactsRefusal {
  code: string;
  message: string;
  status: number;
}

/**
 * The facts step: the gateway's own records about the call (deps.callFacts). A refusal there
 * (invalid parameters, unknown target, an inventory that cannot be read) stops the call before
 * the policy and before any backend; an unexpected failure refuses too (fail closed).
 */
async function factsStep(deps: EnforceDeps, principal: Principal, call: GatewayCall, signal: AbortSignal | undefined): Promise<{ ok: true; facts: CallFacts | null } | { ok: false; refusal: FactsRefusal }> {
  // The facts step knows tools (the ops inventory); a resource or prompt has none.
  if (!deps.callFacts || !isTool(call)) return { ok: true, facts: null };
  try {
    return { ok: true, facts: await deps.callFacts(principal, call, { signal }) };
  } catch (err) {
    if (isAppError(err)) return { ok: false, refusal: { code: err.code, message: err.message, status: err.status } };
    deps.log.error({ err, tenant: principal.tenant, tool: call.tool }, "facts of a call could not be computed");
    return { ok: false, refusal: { code: "facts_unavailable", message: `the facts of this call cannot be computed (${briefCause(err)}); the call is refused`, status: 503 } };
  }
}

function refusedVerdict(tool: string, traceId: string, r: FactsRefusal): Verdict {
  return {
    decision: "deny",
    tool,
    trace_id: traceId,
    rule: null,
    reason: r.message,
    policy_version: null,
    estimated_cost_usd: 0,
    cost_known: true,
    error: { code: r.code, message: r.message },
  };
}

interface Decided {
  decision: PolicyDecision;
  policyVersion: number | null;
  cost: CostFact;
  /** The active policy's `defaults.unknown_cost: allow`: budgets admit an unknown-cost call at $0. */
  unknownCostAllowed: boolean;
}

async function decide(deps: EnforceDeps, principal: Principal, call: GatewayCall, trace: boolean, callFacts: CallFacts | null): Promise<Decided> {
  const cost = safeCost(deps, call);
  const active = await deps.activePolicy(principal.tenant).catch((err: Error) => err);
  if (active === null || active instanceof Error) {
    const reason = active === null ? `tenant ${principal.tenant} has no active policy` : `the active policy cannot be loaded: ${active.message}`;
    return { decision: failClosed(call.tool, reason), policyVersion: null, cost, unknownCostAllowed: false };
  }
  let facts: ReturnType<NonNullable<EnforceDeps["factMaps"]>>;
  try {
    // Upstream fact maps are keyed by tool name: a resource URI or prompt name must not pick one up.
    facts = isTool(call) ? deps.factMaps?.(principal.tenant) : undefined;
    if (callFacts?.policy.factMaps) facts = { ...facts, ...callFacts.policy.factMaps };
  } catch (err) {
    // Without the upstream's mapping an argument it names (fs.move's destination) would go unchecked.
    const reason = `the upstreams' fact mappings cannot be read: ${(err as Error).message}`;
    return { decision: failClosed(call.tool, reason), policyVersion: active.version, cost, unknownCostAllowed: false };
  }
  // The facts step's arguments (the caller's plus the target's facts) and roles (plus break-glass) are what the policy sees.
  const p = callFacts?.policy;
  const decision = evaluate(
    { tool: call.tool, ...(call.kind ? { kind: call.kind } : {}), arguments: p?.arguments ?? call.arguments },
    active.compiled,
    { tenant: principal.tenant, subject: principal.subject, roles: p?.roles ?? principal.roles, ...(p?.targetRole !== undefined ? { targetRole: p.targetRole } : {}), now: deps.now(), estimateCost: () => cost, facts },
    { trace },
  );
  return { decision, policyVersion: active.version, cost, unknownCostAllowed: active.compiled.defaults.unknown_cost === "allow" };
}

function safeCost(deps: EnforceDeps, call: GatewayCall): CostFact {
  // Reading a resource or getting a prompt is not priced (the catalog prices tool calls).
  if (!isTool(call)) return { usd: 0, known: true };
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

const isTool = (call: GatewayCall) => (call.kind ?? "tool") === "tool";

/** The audit kind of a call's decision (`tool_decision`, `resource_decision`, `prompt_decision`) or outcome (`*_result`). */
export function auditKindOf(call: GatewayCall, what: "decision" | "result"): string {
  return `${call.kind ?? "tool"}_${what}`;
}

/** The first bound the call's arguments (then its meta) pass; null when within them all. */
function boundsViolation(deps: EnforceDeps, call: GatewayCall): ArgumentViolation | null {
  const limits = deps.argumentLimits ?? DEFAULT_ARGUMENT_LIMITS;
  return checkToolName(call.tool, call.kind) ?? checkArgumentBounds(call.arguments, limits) ?? (call.meta === undefined ? null : checkArgumentBounds(call.meta, limits, "meta"));
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
      kind: auditKindOf(call, "decision"),
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

/** A call the facts step refused: recorded as a denial (the arguments as given, never run), then answered. */
async function refuseOnFacts(deps: EnforceDeps, principal: Principal, call: GatewayCall, opts: EnforceOptions, traceId: string, r: FactsRefusal): Promise<CallOutcome> {
  const verdict = refusedVerdict(call.tool, traceId, r);
  try {
    const audit = await deps.audit({
      tenant: principal.tenant,
      kind: auditKindOf(call, "decision"),
      traceId,
      subject: principal.subject,
      tool: call.tool,
      args: call.arguments,
      decision: "deny",
      rule: null,
      reason: r.message,
      data: { source: opts.source, refused: r.code, status: r.status, meta: call.meta ?? null },
    });
    return { verdict: { ...verdict, audit } };
  } catch (err) {
    const message = (err as Error).message;
    return { verdict: { ...verdict, reason: `${r.message}; the refusal could not be recorded in the audit log (${message})` } };
  }
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

/** Everything the steps of one call share; built once per call, never changed. */
interface CallContext {
  deps: EnforceDeps;
  principal: Principal;
  call: GatewayCall;
  opts: EnforceOptions;
  traceId: string;
  started: number;
  decided: Decided;
  /** The arguments' digest, computed when an approval is spent (the common allowed call never needs it). */
  argsDigest: () => string;
  /** The rule an approval must have been granted under, when the policy asks for one. */
  gate: Gate | null;
  /** What the facts step found (null: a tool without facts). */
  facts: CallFacts | null;
}

/** What flows from step to step: the verdict so far and the approval it is bound to, if any. */
interface Flow {
  verdict: Verdict;
  approvalId?: string;
}

const deny = (v: Verdict, reason: string, error?: Verdict["error"]): Verdict => ({ ...v, decision: "deny", reason, ...(error ? { error } : {}) });

/**
 * The hot path of ARCHITECTURE.md as explicit steps: (authenticated by the caller) → bounds →
 * facts and policy → limits → approval binding → hand-off → audit → wait (sync mode) → forward →
 * outcome. Each step takes the flow so far and returns a new one; every failure of a dependency
 * denies the call (fail closed) and says why.
 */
export async function enforceCall(deps: EnforceDeps, principal: Principal, call: GatewayCall, opts: EnforceOptions): Promise<CallOutcome> {
  const started = performance.now();
  const traceId = randomUUID();
  const violation = boundsViolation(deps, call);
  if (violation) await refuseArguments(deps, principal, call, opts, traceId, violation);
  const facts = await factsStep(deps, principal, call, opts.signal);
  if (!facts.ok) return refuseOnFacts(deps, principal, call, opts, traceId, facts.refusal);
  const decided = await decide(deps, principal, call, true, facts.facts);
  const ctx: CallContext = { deps, principal, call, opts, traceId, started, decided, argsDigest: lazyDigest(call.arguments), gate: gateOf(decided.decision), facts: facts.facts };

  const limited = await limitsStep(ctx, { verdict: verdictOf(call.tool, traceId, decided.decision, decided.policyVersion, decided.cost, true) });
  try {
    let flow = limited.flow;
    if (limited.admitted) flow = await approvalBindingStep(ctx, flow);
    if (call.approvalId && flow.approvalId === call.approvalId && flow.verdict.decision === "allow") opts.relay?.approvalSettled?.(call.approvalId);
    flow = await handOffStep(ctx, flow);
    const recorded = await auditStep(ctx, flow, auditData(ctx, flow));
    if (!recorded.ok) return { verdict: recorded.verdict };
    flow = { ...flow, verdict: recorded.verdict };
    const waited = await waitStep(ctx, flow);
    if (waited.done) return { verdict: waited.flow.verdict };
    return await forwardStep(ctx, waited.flow);
  } finally {
    await limited.release?.();
  }
}

function lazyDigest(args: Record<string, unknown>): () => string {
  let d: string | undefined;
  return () => {
    if (d === undefined) d = digest(args);
    return d;
  };
}

/**
 * Limits: every call counts against the rate limits; only a call that will run spends the budget.
 * A store that cannot answer denies.
 */
async function limitsStep(ctx: CallContext, flow: Flow): Promise<{ flow: Flow; admitted: boolean; release?: () => Promise<void> }> {
  const { deps, principal, call, decided } = ctx;
  const v = flow.verdict;
  try {
    const willRun = v.decision === "allow" || (v.decision === "approval" && !!call.approvalId);
    const admitted = await deps.admit({
      tenant: principal.tenant,
      tool: call.tool,
      costUsd: willRun && decided.cost.known ? decided.cost.usd : 0,
      costKnown: !willRun || decided.cost.known,
      allowUnknownCost: decided.unknownCostAllowed,
      now: deps.now(),
    });
    if (admitted.ok) return { flow, admitted: true, release: admitted.release };
    return { flow: { ...flow, verdict: { ...v, decision: "deny", rule: `limit:${admitted.limit}`, reason: limitReason(admitted), limit: { ...admitted } } }, admitted: false };
  } catch (err) {
    const message = (err as Error).message;
    return {
      flow: { ...flow, verdict: deny(v, `rate limits and budgets cannot be checked (${message}); the call is refused`, { code: isAppError(err) ? err.code : "quota_unavailable", message }) },
      admitted: false,
    };
  }
}

/**
 * Approval binding: a retry carrying an approval id runs once, and only for the exact call that
 * was approved. A policy that now denies still wins; a policy that now allows needs no approval.
 * Runs only once the limits admitted the call, so a blocked call keeps its approval.
 */
async function approvalBindingStep(ctx: CallContext, flow: Flow): Promise<Flow> {
  const id = ctx.call.approvalId;
  if (flow.verdict.decision !== "approval" || !id || !ctx.gate) return flow;
  return consumeApproval(ctx, flow, id, (f) => auditData(ctx, f), true);
}

/**
 * The one way an approval is spent: bound to tenant, subject, tool, argument digest and the
 * rule's gate; once. The decision record of the call it allows is written in the same
 * transaction as the spending: a crash or a failed append between the two can leave neither an
 * approval spent on a call that never ran nor a forwarded call without its record. The flow
 * returned for a spent approval carries that record (`verdict.audit`), so the audit step skips it.
 */
async function consumeApproval(ctx: CallContext, flow: Flow, id: string, data: (f: Flow) => Record<string, unknown>, latency: boolean): Promise<Flow> {
  const { deps, principal, call } = ctx;
  const service = await deps.approvals();
  const v = flow.verdict;
  let allowed: Flow | undefined;
  let committed: (() => void) | undefined;
  let auditFailure: Error | undefined;
  const within = async (q: Queryer, approval: ApprovalView) => {
    const approvers = approval.votes.filter((x) => x.decision === "approved").map((x) => x.approver).join(", ");
    const next: Flow = { verdict: { ...v, decision: "allow", reason: `approved by ${approvers} (approval ${approval.id}); ${ctx.decided.decision.reason ?? ""}`.trim(), approval: approvalInfo(approval) }, approvalId: approval.id };
    try {
      const r = await deps.auditInTransaction(q, decisionRecord(ctx, next, data(next), latency));
      allowed = { ...next, verdict: { ...next.verdict, audit: r.audit } };
      committed = r.committed;
    } catch (err) {
      auditFailure = err as Error;
      throw err;
    }
  };
  let consumed: ConsumeResult;
  try {
    consumed = await service.consume({ id, tenant: principal.tenant, subject: principal.subject, tool: call.tool, argsDigest: ctx.argsDigest(), gate: ctx.gate!, now: deps.now(), within });
  } catch (err) {
    if (!auditFailure) throw err;
    // Rolled back with the record: the approval is still unspent, so a retry can use it.
    const message = auditFailure.message;
    deps.log.error({ err: auditFailure, tenant: principal.tenant, tool: call.tool, traceId: ctx.traceId }, "audit append failed; the approval was not spent");
    return { verdict: deny(v, `the decision could not be recorded in the audit log (${message}); nothing was forwarded and approval ${id} was not spent`, { code: "audit_unavailable", message }), approvalId: id };
  }
  if (consumed.ok && allowed) {
    committed?.();
    return allowed;
  }
  if (consumed.ok) throw new Error(`approval ${id} was spent without its decision record`);
  if (consumed.status === "pending") {
    const current = await service.get(id, principal.tenant).catch(() => null);
    return { verdict: { ...v, reason: `approval ${id} is still pending: ${consumed.message}`, ...(current ? { approval: approvalInfo(current) } : {}) }, approvalId: id };
  }
  return { verdict: deny(v, `approval ${id} cannot be used: ${consumed.message}`, { code: `approval_${consumed.code}`, message: consumed.message }), approvalId: flow.approvalId };
}

/**
 * Hand-off: a new approval request for the exact call (bound to tool, tenant, subject and args
 * digest). When it cannot be stored (database read-only or down), the call is denied; the denial
 * is still recorded by the audit step when the audit log can take it.
 */
async function handOffStep(ctx: CallContext, flow: Flow): Promise<Flow> {
  const { deps, principal, call, decided, traceId } = ctx;
  if (flow.verdict.decision !== "approval" || call.approvalId) return flow;
  try {
    const service = await deps.approvals();
    const { approval } = await service.createFromPolicyDecision({
      tenant: principal.tenant,
      subject: principal.subject,
      tool: call.tool,
      args: call.arguments,
      decision: { ...decided.decision, reason: decided.decision.reason ?? null },
      policyVersion: decided.policyVersion,
      traceId,
      context: call.meta ?? null,
    });
    return { verdict: { ...flow.verdict, approval: approvalInfo(approval) }, approvalId: approval.id };
  } catch (err) {
    deps.log.error({ err, tenant: principal.tenant, tool: call.tool, traceId }, "approval request could not be stored");
    const message = `the approval request could not be stored (${briefCause(err)})`;
    return { ...flow, verdict: deny(flow.verdict, `${flow.verdict.reason ?? "approval required"}; ${message}, so the call is refused: retry when approvals are available`, { code: "approvals_unavailable", message }) };
  }
}

function auditData(ctx: CallContext, flow: Flow): Record<string, unknown> {
  const v = flow.verdict;
  return {
    source: ctx.opts.source,
    estimated_cost_usd: v.estimated_cost_usd,
    cost_known: ctx.decided.cost.known,
    limit: v.limit ?? null,
    error: v.error ?? null,
    meta: ctx.call.meta ?? null,
    trace: v.trace ?? null,
    ...(ctx.facts ? { facts: ctx.facts.audit } : {}),
  };
}

/**
 * Audit: the decision record comes first, nothing runs that is not audited. The one path for an
 * audit failure: the call is denied and nothing is forwarded.
 */
async function auditStep(ctx: CallContext, flow: Flow, data: Record<string, unknown>, latency = true): Promise<{ ok: true; verdict: Verdict } | { ok: false; verdict: Verdict }> {
  const v = flow.verdict;
  // Already recorded with the approval it spent (consumeApproval).
  if (v.audit) return { ok: true, verdict: v };
  try {
    const audit = await ctx.deps.audit(decisionRecord(ctx, flow, data, latency));
    return { ok: true, verdict: { ...v, audit } };
  } catch (err) {
    const message = (err as Error).message;
    return { ok: false, verdict: { ...deny(v, `the decision could not be recorded in the audit log (${message}); nothing was forwarded`, { code: "audit_unavailable", message }), audit: undefined } };
  }
}

/** The decision record of a call: what the audit step (or an approval's spending) appends. */
function decisionRecord(ctx: CallContext, flow: Flow, data: Record<string, unknown>, latency: boolean): AuditInput {
  const { principal, call, decided } = ctx;
  const v = flow.verdict;
  return {
    tenant: principal.tenant,
    kind: auditKindOf(call, "decision"),
    traceId: ctx.traceId,
    subject: principal.subject,
    tool: call.tool,
    args: call.arguments,
    decision: v.decision,
    rule: v.rule,
    reason: v.reason,
    policyVersion: decided.policyVersion,
    approvalId: flow.approvalId ?? null,
    ...(latency ? { latencyMs: round(performance.now() - ctx.started) } : {}),
    data,
  };
}

/**
 * Sync mode: wait for the human decision (woken by pub/sub), then spend the approval and record
 * the new decision before anything runs. `done` ends the call without forwarding.
 */
async function waitStep(ctx: CallContext, flow: Flow): Promise<{ flow: Flow; done: boolean }> {
  const { deps, principal, call, opts } = ctx;
  const id = flow.approvalId;
  if (flow.verdict.decision !== "approval" || !opts.forward || !id || call.approvalId || !ctx.gate) return { flow, done: false };
  const info = flow.verdict.approval;
  // A client that can show a URL is asked to open the approval's page (lib/mcp/relay).
  const asked = info && opts.relay?.approvalPending ? opts.relay.approvalPending(info, call.tool) : null;
  if (opts.syncWaitMs <= 0) {
    // No wait here: the answer (pending) goes out once the client has shown the question.
    await asked;
    return { flow, done: false };
  }
  const service = await deps.approvals();
  let waited: Awaited<ReturnType<typeof service.waitForResolution>>;
  try {
    waited = await service.waitForResolution(id, opts.syncWaitMs);
  } finally {
    opts.relay?.approvalSettled?.(id);
  }
  if (waited.status === "pending") {
    return { flow: { ...flow, verdict: { ...flow.verdict, reason: `${flow.verdict.reason ?? "approval required"}; no decision within ${opts.syncWaitMs} ms` } }, done: false };
  }
  if (waited.status !== "approved") {
    const current = await service.get(id, principal.tenant).catch(() => null);
    return { flow: { ...flow, verdict: { ...deny(flow.verdict, `approval ${id} was ${waited.status}`), ...(current ? { approval: approvalInfo(current) } : {}) } }, done: true };
  }
  const consumed = await consumeApproval(ctx, flow, id, () => ({ source: opts.source, after_wait: true }), false);
  return { flow: consumed, done: consumed.verdict.decision !== "allow" };
}

/** Forward what is allowed (when this entry point forwards at all), then record the outcome. */
async function forwardStep(ctx: CallContext, flow: Flow): Promise<CallOutcome> {
  if (flow.verdict.decision !== "allow" || !ctx.opts.forward) return { verdict: flow.verdict };
  return { verdict: flow.verdict, result: await forward(ctx.deps, ctx.principal, ctx.call, ctx.opts, flow.verdict, flow.approvalId, ctx.decided.policyVersion, ctx.facts) };
}

async function forward(
  deps: EnforceDeps,
  principal: Principal,
  call: GatewayCall,
  opts: EnforceOptions,
  verdict: Verdict,
  approvalId: string | undefined,
  policyVersion: number | null,
  facts: CallFacts | null,
): Promise<CallToolResult> {
  const started = performance.now();
  let result: CallToolResult;
  let outcome: string;
  let data: Record<string, unknown> | undefined;
  let protocolError: unknown;
  try {
    if (facts?.run) {
      // The call as the facts step prepared and the policy decided it (ops: the exact target version).
      const ran = await facts.run({ signal: opts.signal, traceId: verdict.trace_id });
      ({ result, outcome } = ran);
      data = ran.audit;
    } else {
      result = await deps.execute(call.tool, call.arguments, { principal, traceId: verdict.trace_id, signal: opts.signal, ...(call.round ? { round: call.round } : {}), relay: opts.relay });
      // Each round of a multi round-trip call is decided and audited on its own.
      outcome = (result as { resultType?: unknown }).resultType === "input_required" ? "input_required" : result.isError ? "tool_error" : "ok";
    }
  } catch (err) {
    outcome = (err as { code?: string }).code ?? (err as Error).name ?? "error";
    // The caller's request lacked a declaration the upstream needs: answered as that protocol error.
    if (outcome === MISSING_CLIENT_CAPABILITY) protocolError = err;
    result = {
      isError: true,
      content: [{ type: "text", text: `${call.tool} failed upstream: ${(err as Error).message} (trace ${verdict.trace_id})` }],
    };
  }
  recordOutcome(deps, principal, call, verdict, { policyVersion, approvalId, started, outcome, data });
  if (protocolError) throw protocolError;
  return result;
}

/**
 * The outcome record of a forwarded call (tool, resource or prompt), without holding the caller's
 * answer: the decision record written before forwarding is what guarantees fail-closed; a lost
 * outcome record is logged by deps.audit. Deferred: prepared after the answer is on its way and
 * committed with the tenant's next decision record (one commit per call at a steady rate).
 */
export function recordOutcome(
  deps: Pick<EnforceDeps, "audit">,
  principal: Principal,
  call: GatewayCall,
  verdict: Verdict,
  o: { policyVersion: number | null; approvalId?: string; started: number; outcome: string; data?: Record<string, unknown> },
): void {
  void deps
    .audit({
      tenant: principal.tenant,
      kind: auditKindOf(call, "result"),
      traceId: verdict.trace_id,
      subject: principal.subject,
      tool: call.tool,
      decision: verdict.decision,
      policyVersion: o.policyVersion,
      approvalId: o.approvalId ?? null,
      latencyMs: round(performance.now() - o.started),
      upstreamOutcome: o.outcome,
      ...(o.data ? { data: o.data } : {}),
    }, { defer: true })
    .catch(() => {});
}

function round(ms: number) {
  return Math.round(ms * 1000) / 1000;
}
