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
    const missing = missingCapability(c.caps, method, params);
    if (missing) return Promise.reject(new McpError(ErrorCode.InvalidRequest, `the client did not declare the ${missing} capability, so ${method} cannot be relayed to it`));
    return c.broker.ask(c.owner, method, params, (m) => stream.send(m), s ?? signal);
  };
  return {
    progressToken,
    notify(method, params) {
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
