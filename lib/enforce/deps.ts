import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallRelay } from "@/lib/mcp/relay/types";
import type { ApprovalService } from "@/lib/approvals";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Queryer } from "@/lib/db/audit-records";
import type { Logger } from "@/lib/log";
import type { ActivePolicy } from "@/lib/policy-store";
import type { CostFact, FactMap } from "@/lib/policy";
import type { AdmitInput, AdmitResult } from "@/lib/quota";
import type { ArgumentLimits } from "./argument-limits";
import type { CallFacts, GatewayCall, Principal, ToolCallRound } from "./types";

/** What the pipeline needs from the rest of the system; injected so tests can fail each part. */
export interface EnforceDeps {
  activePolicy(tenant: string): Promise<ActivePolicy | null>;
  /** The call's cost (lib/cost): a number is a known cost; `known: false` a cloud operation the catalog cannot price. */
  estimateCost(tool: string, args: Record<string, unknown>): number | CostFact;
  /**
   * The upstreams' `facts` maps (upstreams.yaml) for the tenant's tools: more arguments that feed
   * host, path, body… on top of the policy's. The same object while they do not change.
   */
  factMaps?(tenant: string): Readonly<Record<string, FactMap>> | undefined;
  admit(input: AdmitInput): Promise<AdmitResult>;
  /**
   * Resolves once the record is durable; rejects when it is not (the call is then refused).
   * `defer`: a record nothing waits on (an outcome), written with the tenant's next one (AuditLog.append).
   */
  audit(input: AuditInput, opts?: { defer?: boolean }): Promise<{ seq: number; hash: string }>;
  /**
   * Appends a record inside an open transaction (an approval's spending and the decision record
   * of the call it allows commit together); `committed` is called once that transaction has.
   */
  auditInTransaction(q: Queryer, input: AuditInput): Promise<{ audit: { seq: number; hash: string }; committed: () => void }>;
  approvals(): Promise<ApprovalService>;
  execute(tool: string, args: Record<string, unknown>, ctx: { principal: Principal; traceId: string; signal?: AbortSignal; round?: ToolCallRound; relay?: CallRelay }): Promise<CallToolResult>;
  now(): Date;
  log: Pick<Logger, "error" | "warn">;
  /**
   * The facts step: what the gateway's own records say about a call (the ops inventory: the
   * target's role, tags, maintenance window, live allowlists), never what the caller says. null
   * for a tool without such facts. Throwing an AppError refuses the call before the policy (the
   * refusal is audited); nothing has then reached a backend.
   */
  callFacts?(principal: Principal, call: GatewayCall, opts: { signal?: AbortSignal }): Promise<CallFacts | null>;
  /** Bounds on arguments and meta, checked first (DEFAULT_ARGUMENT_LIMITS when absent). */
  argumentLimits?: ArgumentLimits;
}
