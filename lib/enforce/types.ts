import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "@/lib/auth";
import type { TraceEntry } from "@/lib/policy";
import type { QuotaDenial } from "@/lib/quota";

/** One tool call as the gateway receives it (MCP tools/call, guard/check, guard/enforce). */
export interface GatewayCall {
  tool: string;
  arguments: Record<string, unknown>;
  /** A retry of a call that needed approval carries the approval's id. */
  approvalId?: string;
  /** Free-form caller context (AegisMCP's meta), recorded with the decision. */
  meta?: Record<string, unknown>;
}

export interface ApprovalInfo {
  id: string;
  status: string;
  required_approvals: number;
  approvals: number;
  approver_group: string | null;
  expires_at: string;
  /** How to run the call once it is approved. */
  retry: string;
}

/** The gateway's answer: every field an agent or a person needs to understand it. */
export interface Verdict {
  decision: "allow" | "deny" | "approval";
  tool: string;
  trace_id: string;
  rule: string | null;
  reason: string | null;
  policy_version: number | null;
  estimated_cost_usd: number;
  /** False for a cloud operation the price catalog cannot price (estimated_cost_usd is then 0). */
  cost_known: boolean;
  /** Set when a rate limit, quota or budget decided the call. */
  limit?: QuotaDenial;
  /** Set when a human decision is (or was) involved. */
  approval?: ApprovalInfo;
  /** Where the decision is recorded. */
  audit?: { seq: number; hash: string };
  /** A gateway failure that decided the call (fail closed): audit_unavailable, quota_unavailable, … */
  error?: { code: string; message: string };
  trace?: TraceEntry[];
}

export interface CallOutcome {
  verdict: Verdict;
  /** The upstream's (or built-in tool's) result, when the call was forwarded. */
  result?: CallToolResult;
}

export interface EnforceOptions {
  /** Forward an allowed call (MCP tools/call). guard/enforce decides and records without forwarding. */
  forward: boolean;
  /** How long to wait for a human decision before answering pending (APPROVAL_SYNC_WAIT_MS). */
  syncWaitMs: number;
  source: "mcp" | "guard" | "builtin";
  signal?: AbortSignal;
}

export type { Principal };
