import type { Principal } from "@/lib/auth";
import type { Gateway } from "@/lib/enforce/gateway";
import type { ProxyHost } from "../proxy";
import type { RequestStateSealer } from "../request-state";
import type { CallRelay } from "../relay/types";
import type { Era } from "../revisions";
import type { ChatApprovals } from "./chat-approval";

/** What the endpoint needs of the gateway (tests pass a fake); offerings (resources, prompts) are optional. */
export type McpGateway = Pick<Gateway, "call" | "listTools"> & ProxyHost;

/** What every /mcp method handler is given. */
export interface MethodContext {
  gateway: McpGateway;
  requestState: RequestStateSealer;
  principal: Principal;
  signal: AbortSignal;
  era: Era;
  /** The revision the request is served at (session era: the header's, or 2025-03-26 without one). */
  revision: string;
  /** The caller's stream for this call (upstream progress, logs and, in the session era, requests relayed to it). */
  relay?: CallRelay;
  /** Stateless era: approvals asked through the client (absent: no console URL configured). */
  approvals?: ChatApprovals;
  /** Stateless era: what the client declared in this request's `_meta` (the session era has no per-request declaration). */
  client?: { capabilities: Record<string, unknown>; info?: unknown };
}

/** One JSON-RPC method: the eras it is served in and its handler (the whole message in, the result out). */
export interface MethodEntry {
  eras: readonly Era[];
  /**
   * Stateless era: a cacheable result (lists, resources/read) whose content depends on the caller
   * (policy-filtered), so its caching hint is `cacheScope: "private"` (SEP-2549).
   */
  privateList?: boolean;
  handle(message: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>>;
}
