import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { approvalElicitation, approvalElicitationComplete } from "./approval-elicitation";
import type { RelayBroker, RelayOwner } from "./relay-broker";
import type { ClientCaps } from "./session-id";
import type { RelayStream } from "./sse-stream";
import type { CallRelay } from "./types";

export interface CallerContext {
  owner: RelayOwner;
  /** What the client declared at initialize (its session); null: a stateless client, not known. */
  caps: ClientCaps | null;
  broker: RelayBroker;
  /** The console's public base URL (approval pages); absent: approvals are not asked in the client. */
  consoleUrl?: string;
  /**
   * 2026-07-28 (stateless): the request's stream carries only notifications related to it, never
   * a server→client request (the upstream asks with an input_required result instead), and log
   * messages only at or above the level the request's `_meta` names (none without one). Absent:
   * the session era.
   */
  stateless?: { logLevel?: LoggingLevel };
  /** Session era: the level the session set with logging/setLevel; absent, every log message the upstream sends. */
  sessionLogLevel?: LoggingLevel;
}

/** RFC 5424 severities as MCP orders them, least severe first. */
export const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;
export type LoggingLevel = (typeof LOG_LEVELS)[number];

/** A request's `_meta` log level (2026-07-28), or undefined when absent or not a level. */
export function logLevelOf(value: unknown): LoggingLevel | undefined {
  return (LOG_LEVELS as readonly unknown[]).includes(value) ? (value as LoggingLevel) : undefined;
}

/** Whether a log message of `level` may reach a caller that asked for `threshold` (nothing without one; an unknown level is not let through). */
export function logAllowed(level: unknown, threshold: LoggingLevel | undefined): boolean {
  if (threshold === undefined) return false;
  const at = (LOG_LEVELS as readonly unknown[]).indexOf(level);
  return at >= 0 && at >= LOG_LEVELS.indexOf(threshold);
}

/** Why the client cannot be asked `method` (a capability it did not declare), or null. */
export function missingCapability(caps: ClientCaps | null, method: string, params: Record<string, unknown>): string | null {
  if (!caps) return null; // a client without a session declared nothing we kept: it answers for itself
  if (method === "sampling/createMessage" && !caps.sampling) return "sampling";
  if (method === "roots/list" && !caps.roots) return "roots";
  if (method === "elicitation/create") {
    if (params.mode === "url" ? !caps.elicitationUrl : !caps.elicitationForm) return params.mode === "url" ? "elicitation.url" : "elicitation.form";
  }
  return null;
}

/**
 * The CallRelay of one tools/call answered over SSE: notifications onto the stream, requests
 * through the broker (so the answer may reach any replica), and a pending approval asked as a
 * URL-mode elicitation when the client declared that mode and the console's URL is known.
 */
export function callerRelay(stream: Pick<RelayStream, "notify" | "send">, c: CallerContext, progressToken: string | number | undefined, signal: AbortSignal): CallRelay {
  const asked = new Set<string>();
  const request = (method: string, params: Record<string, unknown>, s?: AbortSignal) => {
    if (c.stateless) {
      return Promise.reject(new McpError(ErrorCode.InvalidRequest, `the caller speaks MCP 2026-07-28, where no server→client request rides a request's stream: ask for ${method} with an input_required result`));
    }
    const missing = missingCapability(c.caps, method, params);
    if (missing) return Promise.reject(new McpError(ErrorCode.InvalidRequest, `the client did not declare the ${missing} capability, so ${method} cannot be relayed to it`));
    return c.broker.ask(c.owner, method, params, (m) => stream.send(m), s ?? signal);
  };
  return {
    progressToken,
    notify(method, params) {
      if (method === "notifications/message") {
        const threshold = c.stateless ? c.stateless.logLevel : c.sessionLogLevel;
        if ((c.stateless || threshold) && !logAllowed(params.level, threshold)) return;
      }
      stream.notify({ jsonrpc: "2.0", method, params });
    },
    request,
    approvalPending(approval, tool) {
      if (!c.caps?.elicitationUrl || !c.consoleUrl || asked.has(approval.id)) return Promise.resolve();
      asked.add(approval.id);
      // The client's accept/decline only says whether the page was opened: the approvers' votes
      // in the console decide.
      return request("elicitation/create", { ...approvalElicitation(approval, tool, c.consoleUrl) }).then(
        () => undefined,
        () => undefined,
      );
    },
    approvalSettled(approvalId) {
      // Also on a retry that spent the approval: the client may still show the question it was asked.
      if (!c.caps?.elicitationUrl) return;
      stream.notify({ jsonrpc: "2.0", ...approvalElicitationComplete(approvalId) });
    },
  };
}
