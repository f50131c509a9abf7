import { CallToolRequestSchema, type CallToolResult, ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { nonFiniteNumberAt } from "@/lib/canonical";
import { ARGUMENTS_TOO_LARGE } from "@/lib/enforce/pipeline";
import type { CallOutcome, Verdict } from "@/lib/enforce/types";
import type { RoundBinding } from "../request-state";
import { invalidParams, RpcFailure } from "../rpc";
import { MISSING_CLIENT_CAPABILITY, MISSING_CLIENT_CAPABILITY_RPC, UNKNOWN_TOOL } from "../upstreams/errors";
import type { MethodEntry } from "./context";
import { approvalInputRequired } from "./chat-approval";
import { roundOf } from "./round";

/** What an agent sees for a call that did not run: the decision explained, as a tool error. */
export function explain(v: Verdict): string {
  const rule = v.rule ? `rule "${v.rule}"` : "the policy default";
  if (v.decision === "approval") {
    const a = v.approval;
    return (
      `Approval required by ${rule}: ${sentence(v.reason ?? "")}`.trim() +
      (a ? ` Approval ${a.id} is ${a.status} (${a.approvals}/${a.required_approvals} approvals${a.approver_group ? ` from ${a.approver_group}` : ""}, expires ${a.expires_at}); ${a.retry}.` : "") +
      ` Trace ${v.trace_id}.`
    );
  }
  const limit = v.limit ? ` Limit ${v.limit.limit} (${v.limit.scope}) ${v.limit.current}/${v.limit.limit_value}${v.limit.resets_at ? `, resets at ${v.limit.resets_at}` : ""}.` : "";
  return `Denied by ${rule}: ${sentence(v.reason ?? "no reason given")}${limit} Trace ${v.trace_id}.`;
}

const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

export function toToolResult({ verdict, result }: CallOutcome): CallToolResult {
  const { trace: _trace, ...summary } = verdict;
  const meta = { canopyiq: summary };
  if (result) return { ...result, _meta: { ...(result._meta ?? {}), ...meta } };
  // The verdict travels in _meta: structuredContent would be checked against the tool's own output schema.
  return { isError: true, content: [{ type: "text", text: explain(verdict) }], _meta: meta };
}

const inputRequired = (r: CallToolResult | undefined): r is CallToolResult & { inputRequests?: unknown; requestState?: unknown } =>
  (r as { resultType?: unknown } | undefined)?.resultType === "input_required";

/** tools/call: the whole governed pipeline; 2026-07-28 retries of input_required results included. */
export const toolsCall: MethodEntry = {
  eras: ["session", "stateless"],
  async handle(message, ctx) {
    const parsed = CallToolRequestSchema.safeParse(message);
    if (!parsed.success) throw invalidParams(parsed.error.issues);
    const { name, arguments: given, _meta } = parsed.data.params;
    const args = given ?? {};
    // JSON reads 1e309 as Infinity: such a call can be neither priced, hashed nor audited.
    const infinite = nonFiniteNumberAt(args, "arguments");
    if (infinite) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${infinite} is not a finite number (JSON numbers past ±1.8e308 read as infinite); send a finite value` });
    const binding: RoundBinding = { tenant: ctx.principal.tenant, subject: ctx.principal.subject, tool: name, arguments: args };
    const opened = ctx.era === "stateless" ? await roundOf(message.params as Record<string, unknown>, binding, ctx) : undefined;
    let approvalId = typeof _meta?.approval_id === "string" ? _meta.approval_id : undefined;
    let round = opened?.round;
    if (opened?.approval !== undefined) {
      // The retry of a call that asked its caller to get it approved: the sealed approval, never
      // the client's answer to the elicitation (which only says whether the page was opened).
      if (!ctx.approvals) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: "invalid params: requestState names an approval, and approvals are not asked through clients here; call the tool again without it" });
      approvalId = opened.approval;
      round = { clientCapabilities: opened.round.clientCapabilities ?? {} };
      // Still pending: wait for the approvers a while (the approvals service's wait, woken by its
      // pub/sub); the pipeline then spends the approval, or says it is pending, denied or expired.
      await ctx.approvals.waitForDecision(approvalId, ctx.approvals.syncWaitMs).catch(() => "pending");
    }
    let outcome: CallOutcome;
    try {
      outcome = await ctx.gateway.call(ctx.principal, { tool: name, arguments: args, approvalId, ...(round ? { round } : {}) }, ctx.signal, ctx.relay);
    } catch (err) {
      // Arguments past the bounds are refused (and audited) before anything reads them. Matched by
      // code and name, not class: the build may hold more than one copy of the error class.
      const e = err as { code?: unknown; message?: unknown; details?: unknown };
      // A name no upstream or built-in offers this tenant is a protocol error (MCP: "Unknown
      // tool"); a known tool the policy refuses stays an isError result with its verdict.
      if (e?.code === UNKNOWN_TOOL) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `Unknown tool: ${name}` });
      if (e?.code === MISSING_CLIENT_CAPABILITY) {
        const required = (err as { requiredCapabilities?: unknown }).requiredCapabilities;
        throw new RpcFailure({ code: MISSING_CLIENT_CAPABILITY_RPC, message: String(e.message), data: { requiredCapabilities: required } });
      }
      if (e?.code === ARGUMENTS_TOO_LARGE) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${String(e.message)}`, data: { code: ARGUMENTS_TOO_LARGE, details: e.details } });
      throw err;
    }
    const asked = await approvalInputRequired(outcome.verdict, name, binding, ctx);
    if (asked) return asked;
    const result = outcome.result;
    if (inputRequired(result)) {
      if (ctx.era === "session") {
        // A session-era client cannot answer in-band input requests.
        return toToolResult({ verdict: outcome.verdict, result: { isError: true, content: [{ type: "text", text: `${name} asked for input (elicitation, sampling or roots) that this gateway relays only to clients speaking MCP 2026-07-28` }] } });
      }
      const { content: _content, requestState, inputRequests, ...rest } = result;
      const upstream = typeof requestState === "string" ? requestState : undefined;
      const sealed = await ctx.requestState.seal(upstream === undefined ? {} : { upstream }, binding);
      const { trace: _trace, ...summary } = outcome.verdict;
      return { ...rest, resultType: "input_required", inputRequests, requestState: sealed, _meta: { ...(result._meta ?? {}), canopyiq: summary } };
    }
    return toToolResult(outcome) as Record<string, unknown>;
  },
};
