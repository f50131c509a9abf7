import type { ApprovalInfo } from "@/lib/enforce/types";

/** A JSON-RPC message as it travels on a caller's stream. */
export type RpcMessage = Record<string, unknown>;

/**
 * What one in-flight tools/call offers the layers under it (the pipeline, the upstreams) for
 * talking back to the caller while it runs: notifications onto the caller's stream, and requests
 * the caller answers with a POST of its own (possibly to another replica).
 */
export interface CallRelay {
  /** The caller's `_meta.progressToken`, when it asked for progress. */
  readonly progressToken?: string | number;
  /** An upstream notification for this call (progress with the caller's token, log messages). Bounded: may be dropped. */
  notify(method: string, params: Record<string, unknown>): void;
  /**
   * A request to the caller (sampling/createMessage, elicitation/create, roots/list): resolves
   * with the caller's `result`, rejects with an McpError carrying the caller's error, a refusal
   * (no stream, capability not declared) or a timeout.
   */
  request(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /**
   * The call needs a human decision (approval hand-off done): ask through the client when it can.
   * Resolves once the client answered the question (or could not be asked): the answer only says
   * whether the person opened the page, never the decision.
   */
  approvalPending?(approval: ApprovalInfo, tool: string): Promise<void>;
  /** The approval's wait is over, or a retry spent it: the client may close what it showed. */
  approvalSettled?(approvalId: string): void;
}
