import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { isInputRequired } from "@/lib/enforce/offerings";
import { dispatchProxy, ProxyRpcError, RESOURCE_NOT_FOUND } from "../proxy";
import type { RoundBinding } from "../request-state";
import { type Era, resourceNotFoundCode } from "../revisions";
import type { MethodContext, MethodEntry } from "./context";
import { roundOf } from "./round";

/**
 * The methods whose answer may be an upstream's input_required result (SEP-2322 allows it on
 * prompts/get and resources/read besides tools/call), with what binds a round's requestState to
 * the request: the method and its name or URI (so a prompt's state opens no resource or tool
 * round) and the prompt's arguments.
 */
const ROUND_TRIP: Readonly<Record<string, (params: Record<string, unknown>) => { id: unknown; arguments: unknown }>> = {
  "prompts/get": (p) => ({ id: p.name, arguments: p.arguments ?? {} }),
  "resources/read": (p) => ({ id: p.uri, arguments: {} }),
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function roundBinding(method: string, params: Record<string, unknown>, ctx: MethodContext): RoundBinding | null {
  const of = Object.hasOwn(ROUND_TRIP, method) ? ROUND_TRIP[method] : undefined;
  if (!of) return null;
  const { id, arguments: args } = of(params);
  // Malformed ids and arguments are refused by the method's own parse: no round for them.
  if (typeof id !== "string" || !isPlainObject(args)) return null;
  return { tenant: ctx.principal.tenant, subject: ctx.principal.subject, tool: `${method} ${id}`, arguments: args };
}

/** The answer of one proxied request at the caller's revision (the not-found code changed in 2026-07-28). */
async function relay(method: string, message: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>> {
  const params = isPlainObject(message.params) ? message.params : {};
  const binding = ctx.era === "stateless" ? roundBinding(method, params, ctx) : null;
  const opened = binding ? await roundOf(params, binding, ctx) : undefined;
  // An approval's state belongs to the tools/call that asked for it (fail closed).
  if (opened?.approval !== undefined) throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: "invalid params: requestState was issued for a tool call's approval, not for this request" });
  const round = opened?.round;
  let result: Record<string, unknown>;
  try {
    result = (await dispatchProxy(ctx.gateway, method, message, ctx.principal, ctx.signal, round)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ProxyRpcError && err.error.code === RESOURCE_NOT_FOUND) throw new ProxyRpcError({ ...err.error, code: resourceNotFoundCode(ctx.revision) });
    throw err;
  }
  if (!isInputRequired(result)) return result;
  if (!binding) {
    // A session-era client cannot answer in-band input requests.
    throw new ProxyRpcError({ code: ErrorCode.InternalError, message: `${method} asked for input (elicitation, sampling or roots) that this gateway relays only to clients speaking MCP 2026-07-28` });
  }
  const { requestState, inputRequests, ...rest } = result;
  const sealed = await ctx.requestState.seal(typeof requestState === "string" ? { upstream: requestState } : {}, binding);
  return { ...rest, resultType: "input_required", inputRequests, requestState: sealed };
}

/** An upstream offering relayed by lib/mcp/proxy (resources, prompts, completions, logging) under the policy. */
const proxied = (method: string, eras: readonly Era[], privateList = false): MethodEntry => ({
  eras,
  privateList,
  handle: (message, ctx) => relay(method, message, ctx),
});

const BOTH: readonly Era[] = ["session", "stateless"];
/** 2026-07-28 removed subscriptions and logging/setLevel (subscriptions/listen and per-request log levels replace them). */
const SESSION: readonly Era[] = ["session"];

export const PROXIED_METHODS: Readonly<Record<string, MethodEntry>> = {
  "resources/list": proxied("resources/list", BOTH, true),
  "resources/templates/list": proxied("resources/templates/list", BOTH, true),
  "resources/read": proxied("resources/read", BOTH, true),
  "resources/subscribe": proxied("resources/subscribe", SESSION),
  "resources/unsubscribe": proxied("resources/unsubscribe", SESSION),
  "prompts/list": proxied("prompts/list", BOTH, true),
  "prompts/get": proxied("prompts/get", BOTH),
  "completion/complete": proxied("completion/complete", BOTH),
  "logging/setLevel": proxied("logging/setLevel", SESSION),
};
