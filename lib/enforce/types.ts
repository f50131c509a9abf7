import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "@/lib/auth";
import type { FactMap, RuleKind } from "@/lib/policy";
import type { CallRelay } from "@/lib/mcp/relay/types";
import type { z } from "zod";
import type { verdictSchema } from "./schemas";

/** One tool call as the gateway receives it (MCP tools/call, guard/check, guard/enforce). */
export interface GatewayCall {
  /** The tool name; for kind resource the resource URI, for kind prompt the prompt name. */
  tool: string;
  /** What is called (default tool): resources and prompts are decided by rules of their kind. */
  kind?: RuleKind;
  arguments: Record<string, unknown>;
  /** A retry of a call that needed approval carries the approval's id. */
  approvalId?: string;
  /** Free-form caller context (AegisMCP's meta), recorded with the decision. */
  meta?: Record<string, unknown>;
  /** MCP 2026-07-28: what this round of a multi round-trip call carries to the upstream. */
  round?: ToolCallRound;
}

/**
 * One round of a 2026-07-28 multi round-trip tool call (SEP-2322): the caller's answers to the
 * upstream's input requests, the upstream's own requestState (already unsealed and verified by
 * lib/mcp), and the capabilities the caller declared, which tell the upstream what it may ask.
 */
export interface ToolCallRound {
  inputResponses?: Record<string, unknown>;
  requestState?: string;
  clientCapabilities?: Record<string, unknown>;
}

/** How a human decision is involved; the contract is verdictSchema's. */
export type ApprovalInfo = NonNullable<Verdict["approval"]>;

/** The gateway's answer: every field an agent or a person needs to understand it (z.infer of verdictSchema, the one contract). */
export type Verdict = z.infer<typeof verdictSchema>;

export interface CallOutcome {
  verdict: Verdict;
  /** The upstream's (or built-in tool's) result, when the call was forwarded. */
  result?: CallToolResult;
}

/**
 * What the facts step found for one call. The policy decides on `policy` (the caller's arguments
 * with the facts added, the target's role, the caller's roles plus any break-glass role); the
 * decision record carries `audit`; an allowed call runs through `run` (once) instead of the
 * upstream/built-in dispatch, and its outcome record carries the run's `audit`.
 */
export interface CallFacts {
  policy: {
    arguments: Record<string, unknown>;
    targetRole?: string;
    roles?: readonly string[];
    factMaps?: Readonly<Record<string, FactMap>>;
  };
  audit: Record<string, unknown>;
  run?(opts: { signal?: AbortSignal; traceId: string }): Promise<{ result: CallToolResult; outcome: string; audit: Record<string, unknown> }>;
}

export interface EnforceOptions {
  /** Forward an allowed call (MCP tools/call). guard/enforce decides and records without forwarding. */
  forward: boolean;
  /** How long to wait for a human decision before answering pending (APPROVAL_SYNC_WAIT_MS). */
  syncWaitMs: number;
  source: "mcp" | "guard" | "builtin";
  signal?: AbortSignal;
  /** The caller's stream while the call runs (MCP over SSE): upstream notifications and requests, approvals asked in the client. */
  relay?: CallRelay;
}

export type { Principal };
