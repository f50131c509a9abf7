import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { CallRelay, RpcMessage } from "./types";

/** The server→client requests the gateway carries to the caller; anything else is refused. */
export const RELAYED_REQUESTS: ReadonlySet<string> = new Set(["sampling/createMessage", "elicitation/create", "roots/list"]);
/** The notifications of a call the caller sees (progress is remapped to the caller's token). */
const RELAYED_NOTIFICATIONS: ReadonlySet<string> = new Set(["notifications/message", "notifications/progress"]);

/** A JSON-RPC response to an upstream's request, from the caller's answer (or the reason there is none). */
export async function answerUpstreamRequest(relay: CallRelay, method: string, params: unknown, signal?: AbortSignal): Promise<{ result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } }> {
  if (!RELAYED_REQUESTS.has(method)) return { error: { code: ErrorCode.MethodNotFound, message: `${method} is not relayed to the caller by the gateway` } };
  try {
    return { result: await relay.request(method, (params && typeof params === "object" ? params : {}) as Record<string, unknown>, signal) };
  } catch (err) {
    if (err instanceof McpError) return { error: { code: err.code, message: err.message.replace(/^MCP error -?\d+: /, ""), ...(err.data !== undefined ? { data: err.data } : {}) } };
    return { error: { code: ErrorCode.InternalError, message: `the caller could not be asked: ${(err as Error).message}` } };
  }
}

/**
 * Messages an upstream sends on one call's own stream (Streamable HTTP: they belong to the call):
 * notifications go to the caller (progress under the caller's token, only when the upstream used
 * the token the gateway gave it), requests are asked of the caller and answered through `respond`.
 */
export function callStreamHandler(relay: CallRelay, upstreamToken: string | undefined, respond: (answer: RpcMessage) => void, signal?: AbortSignal) {
  return (m: RpcMessage) => {
    const method = typeof m.method === "string" ? m.method : undefined;
    if (!method) return;
    const params = (m.params && typeof m.params === "object" ? m.params : {}) as Record<string, unknown>;
    if (!("id" in m)) {
      if (!RELAYED_NOTIFICATIONS.has(method)) return;
      if (method === "notifications/progress") {
        if (relay.progressToken === undefined || upstreamToken === undefined || params.progressToken !== upstreamToken) return;
        relay.notify(method, { ...params, progressToken: relay.progressToken });
        return;
      }
      relay.notify(method, params);
      return;
    }
    const id = m.id;
    void answerUpstreamRequest(relay, method, params, signal).then((answer) => respond({ jsonrpc: "2.0", id, ...answer }));
  };
}

/**
 * Progress of the calls on one SDK client connection (stdio), routed by the gateway's own token.
 * The SDK's `onprogress` cannot be used: its client runs notification handlers a microtask late
 * but forgets a request's progress handler synchronously on the response, so the last progress
 * notification, read in the same chunk as the response, is dropped ("unknown token"). A token the
 * gateway owns stays routable until the call's await has returned, which is after every
 * notification read before the response has been handled.
 */
export class ProgressRoutes {
  private readonly routes = new Map<string, CallRelay>();

  /** A token for the upstream when the caller asked for progress, and the end of its route. */
  open(relay: CallRelay | undefined, newToken: () => string): { token?: string; close: () => void } {
    if (relay?.progressToken === undefined) return { close: () => {} };
    const token = newToken();
    this.routes.set(token, relay);
    return { token, close: () => void this.routes.delete(token) };
  }

  /** An upstream's notifications/progress: to the caller under its own token; false when no call owns the token. */
  route(params: Record<string, unknown>): boolean {
    const token = params.progressToken;
    const relay = typeof token === "string" ? this.routes.get(token) : undefined;
    if (relay?.progressToken === undefined) return false;
    relay.notify("notifications/progress", { ...params, progressToken: relay.progressToken });
    return true;
  }

  get size(): number {
    return this.routes.size;
  }
}

/**
 * The calls in flight on one SDK client connection (stdio): its logs and requests carry no link
 * to the request they belong to, so they reach a caller only while exactly one call (relayed or
 * not, of any tenant) is in flight; with none or several, nobody is told (a log) or the upstream
 * hears a refusal (a request), never a caller the message may not be meant for.
 */
export class InflightRelays {
  private readonly relays = new Set<CallRelay>();
  private calls = 0;

  /** A call starts on the connection (with its relay when its caller has a stream); returns its end. */
  enter(relay?: CallRelay): () => void {
    this.calls++;
    if (relay) this.relays.add(relay);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.calls--;
      if (relay) this.relays.delete(relay);
    };
  }

  get size(): number {
    return this.calls;
  }

  /** The relay of the one call in flight, if there is exactly one call and it has a relay. */
  only(): CallRelay | undefined {
    if (this.calls !== 1 || this.relays.size !== 1) return undefined;
    return this.relays.values().next().value;
  }

  /** The one call to route to, or the McpError to answer an upstream request with. */
  target(method: string): CallRelay {
    const one = this.only();
    if (one) return one;
    throw new McpError(
      ErrorCode.InvalidRequest,
      this.calls === 0 || this.relays.size === 0
        ? `${method} reached the gateway outside any relayed tool call: no caller to ask`
        : `${method} cannot be routed: ${this.calls} calls are in flight on this connection and the request does not say which it belongs to`,
    );
  }
}
