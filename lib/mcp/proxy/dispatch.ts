import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Principal } from "@/lib/auth";
import { type Governed, OFFERING_NOT_FOUND, type OfferingsGateway } from "@/lib/enforce/offerings";
import { RESOURCE_URI_MAX, TOOL_NAME_MAX } from "@/lib/enforce/argument-limits";
import { ARGUMENTS_TOO_LARGE } from "@/lib/enforce/pipeline";
import type { ToolCallRound, Verdict } from "@/lib/enforce/types";
import { UpstreamCallError, UpstreamError } from "@/lib/mcp/upstreams/errors";

/** A JSON-RPC error answer for the request (the endpoint turns it into `{"error": …}`). */
export class ProxyRpcError extends Error {
  constructor(readonly error: { code: number; message: string; data?: unknown }) {
    super(error.message);
  }
}

/** MCP's "Resource not found" (server/resources, Error Handling). */
export const RESOURCE_NOT_FOUND = -32002;
/**
 * A request the policy refused (a server-defined code: MCP has none for it). The verdict (rule,
 * reason, trace id) is in `data.canopyiq`, as a tool call's is in `_meta.canopyiq`.
 */
export const POLICY_DENIED = -32003;

/** The methods this module answers, besides tools (the endpoint delegates them here). */
export const PROXY_METHODS = [
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
] as const;

/** Whatever offers the proxied methods (the real gateway; test fakes may leave it out). */
export interface ProxyHost {
  offerings?: OfferingsGateway;
}

function parse<T>(schema: z.ZodType<T>, message: unknown): T {
  const parsed = schema.safeParse(message);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: `invalid params: ${first ? `${first.path.join(".") || "params"}: ${first.message}` : "bad shape"}` });
}

/**
 * A resource URI whose path climbs (`..`, `.`, or their percent-encoded forms) is refused: a
 * rule allowing `file:///docs/*` must not let `file:///docs/../etc/passwd` through to a server
 * that would resolve it.
 */
function checkUri(uri: string): void {
  checkLength("uri", uri, RESOURCE_URI_MAX);
  const path = uri.replace(/^[A-Za-z][A-Za-z0-9+.-]*:(\/\/[^/?#]*)?/, "").split(/[?#]/)[0];
  const dotted = path.split("/").some((seg) => /^(\.|%2e){1,2}$/i.test(seg));
  if (dotted || /\\/.test(path)) {
    throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: `invalid params: uri: ${JSON.stringify(uri.slice(0, 200))} has a \`.\` or \`..\` segment (or a backslash); send the URI as resources/list gives it` });
  }
}

/** The verdict in one sentence: which rule (or the default), why, the trace id. */
function denial(v: Verdict): string {
  const rule = v.rule ? `rule "${v.rule}"` : "the policy default";
  const reason = (v.reason ?? "no reason given").trim();
  return `denied by ${rule}: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} Trace ${v.trace_id}.`;
}

/** Names and URIs are bounded before anything routes or matches them. */
function checkLength(what: string, value: string, max: number): void {
  if (value.length > max) throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: `invalid params: ${what} is ${value.length} characters long, more than ${max}; send it as the list gives it` });
}

const summary = (v: Verdict) => {
  const { trace: _trace, ...rest } = v;
  return rest;
};

/** The answer of a governed request: its result, or a JSON-RPC error that explains the verdict. */
function answer<T>(g: Governed<T>, what: string): T {
  if (g.result !== undefined) return g.result;
  throw new ProxyRpcError({ code: POLICY_DENIED, message: `${what}: ${denial(g.verdict)}`, data: { canopyiq: summary(g.verdict) } });
}

/** How an upstream's failure reaches the caller: its JSON-RPC error as it is (bounded, no host paths), anything else as an internal error. */
function failure(err: unknown): never {
  const e = err as { code?: unknown; message?: unknown; details?: unknown; kind?: unknown; id?: unknown };
  if (e?.code === OFFERING_NOT_FOUND) {
    if (e.kind === "resource") throw new ProxyRpcError({ code: RESOURCE_NOT_FOUND, message: "Resource not found", data: { uri: e.id } });
    throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: `Unknown ${String(e.kind)}: ${String(e.id)}` });
  }
  if (e?.code === ARGUMENTS_TOO_LARGE) throw new ProxyRpcError({ code: ErrorCode.InvalidParams, message: `invalid params: ${String(e.message)}`, data: { code: ARGUMENTS_TOO_LARGE, details: e.details } });
  if (err instanceof UpstreamCallError) throw new ProxyRpcError({ code: err.code, message: err.message });
  if (err instanceof UpstreamError) throw new ProxyRpcError({ code: ErrorCode.InternalError, message: err.message });
  throw err;
}

/** resources/*, prompts/*, completion/complete and logging/setLevel, governed (the endpoint's `case` lines land here). */
/**
 * `round`: a 2026-07-28 caller's multi round-trip round for prompts/get and resources/read (its
 * answers, the upstream's unsealed state, its capabilities); their answer may then be the
 * upstream's input_required result, which lib/mcp/methods seals before it reaches the caller.
 */
export async function dispatchProxy(host: ProxyHost, method: string, message: Record<string, unknown>, principal: Principal, signal: AbortSignal, round?: ToolCallRound): Promise<unknown> {
  const o = host.offerings;
  if (!o) throw new ProxyRpcError({ code: ErrorCode.MethodNotFound, message: `method not found: ${method}` });
  try {
    switch (method) {
      case "resources/list":
        parse(ListResourcesRequestSchema, message);
        return { resources: await o.listResources(principal) };
      case "resources/templates/list":
        parse(ListResourceTemplatesRequestSchema, message);
        return { resourceTemplates: await o.listResourceTemplates(principal) };
      case "prompts/list":
        parse(ListPromptsRequestSchema, message);
        return { prompts: await o.listPrompts(principal) };
      case "resources/read": {
        const { uri } = parse(ReadResourceRequestSchema, message).params;
        checkUri(uri);
        return answer(await o.readResource(principal, uri, signal, round), `reading ${uri} was refused`);
      }
      case "resources/subscribe":
      case "resources/unsubscribe": {
        const on = method === "resources/subscribe";
        const { uri } = (on ? parse(SubscribeRequestSchema, message) : parse(UnsubscribeRequestSchema, message)).params;
        checkUri(uri);
        return answer(await o.subscribe(principal, uri, on, signal), `${on ? "subscribing to" : "unsubscribing from"} ${uri} was refused`);
      }
      case "prompts/get": {
        const { name, arguments: args } = parse(GetPromptRequestSchema, message).params;
        checkLength("name", name, TOOL_NAME_MAX);
        return answer(await o.getPrompt(principal, name, args ?? {}, signal, round), `prompt ${name} was refused`);
      }
      case "completion/complete": {
        const { params } = parse(CompleteRequestSchema, message);
        const ref = params.ref as { name?: string; uri?: string };
        checkLength(ref.uri !== undefined ? "ref.uri" : "ref.name", ref.uri ?? ref.name ?? "", ref.uri !== undefined ? RESOURCE_URI_MAX : TOOL_NAME_MAX);
        return answer(await o.complete(principal, params, signal), "completion was refused");
      }
      case "logging/setLevel":
        // Upstream sessions are shared by every caller of the gateway: a caller's level is not
        // theirs to set there. In a session the relay remembers it and holds that session's relayed
        // log messages to it (lib/mcp/endpoint answerRelayed); without one there is nothing to keep it by.
        parse(SetLevelRequestSchema, message);
        return {};
      default:
        throw new ProxyRpcError({ code: ErrorCode.MethodNotFound, message: `method not found: ${method}` });
    }
  } catch (err) {
    if (err instanceof ProxyRpcError) throw err;
    if (signal.aborted && err === signal.reason) throw err;
    failure(err);
  }
}

/** The capabilities initialize advertises besides tools: only those some upstream of the caller offers. */
export async function proxyCapabilities(host: ProxyHost, principal: Principal): Promise<ServerCapabilities> {
  return host.offerings ? host.offerings.capabilities(principal) : {};
}
