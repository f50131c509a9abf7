import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalService } from "@/lib/approvals";
import type { AuditInput } from "@/lib/audit/schemas";
import type { ActivePolicy } from "@/lib/policies";
import type { AdmitInput, AdmitResult } from "@/lib/quota";
import type { ArgumentLimits } from "./argument-limits";
import type { Principal } from "./types";

/** What the pipeline needs from the rest of the system; injected so tests can fail each part. */
export interface EnforceDeps {
  activePolicy(tenant: string): Promise<ActivePolicy | null>;
  estimateCost(tool: string, args: Record<string, unknown>): number;
  admit(input: AdmitInput): Promise<AdmitResult>;
  /** Resolves once the record is durable; rejects when it is not (the call is then refused). */
  audit(input: AuditInput): Promise<{ seq: number; hash: string }>;
  approvals(): Promise<ApprovalService>;
  execute(tool: string, args: Record<string, unknown>, ctx: { principal: Principal; traceId: string; signal?: AbortSignal }): Promise<CallToolResult>;
  now(): Date;
  /** Bounds on arguments and meta, checked first (DEFAULT_ARGUMENT_LIMITS when absent). */
  argumentLimits?: ArgumentLimits;
}
