import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Permission } from "@/lib/auth";

/** Who is calling a built-in tool (the gateway's authenticated principal and the call's trace id). */
export interface CallerContext {
  tenant: string;
  subject: string;
  roles: readonly string[];
  traceId?: string;
  now?: Date;
}

/** A tool call to evaluate with the policy (guard_check / firewall_enforce). */
export interface GuardCall {
  tool: string;
  /** The call's arguments; AegisMCP's amount_cents and op are among them (the policy's default fact sources). */
  arguments: Record<string, unknown>;
  /** firewall_enforce's free-form context, recorded with the decision. */
  meta?: Record<string, unknown>;
  /** firewall_enforce's retry: an approved approval's id, used once for this exact call. */
  approvalId?: string;
}

export interface ApprovalRequest {
  /** AegisMCP's id of the pending approval (the approval id a pending decision returned). */
  dry_run_id: string;
  approval_code?: string;
}

export interface AuditEntry {
  action: string;
  tool?: string;
  ok?: boolean;
  note?: string;
}

/**
 * What the AegisMCP tools need from the rest of the gateway, injected so this module depends on
 * neither the policy engine, the approvals store nor the audit log. Results are returned to the
 * agent as JSON (text and structuredContent); thrown errors propagate to the caller unchanged.
 */
export interface AegisDeps {
  /** The caller's tenant's active policy (version, hash, rules). */
  getPolicy(ctx: CallerContext): Promise<unknown>;
  /** Decision with trace; no side effects. */
  check(call: GuardCall, ctx: CallerContext): Promise<unknown>;
  /** Decision, audited, with the approval hand-off when one is needed. Does not forward the call. */
  enforce(call: GuardCall, ctx: CallerContext): Promise<unknown>;
  /** AegisMCP's two-phase approval: the status of a pending approval, or its completion with a code. */
  requireApproval(req: ApprovalRequest, ctx: CallerContext): Promise<unknown>;
  /** Appends an agent-written entry to the audit log. */
  audit(entry: AuditEntry, ctx: CallerContext): Promise<unknown>;
}

export interface BuiltinTool<A = unknown> {
  name: string;
  title: string;
  description: string;
  /** JSON Schema of the arguments, for tools/list. */
  inputSchema: Tool["inputSchema"];
  /** The permission (lib/auth RBAC) a caller needs, on top of the policy. */
  permission: Permission;
  /** Read-only tools do not change state (MCP annotation readOnlyHint). */
  readOnly: boolean;
  schema: z.ZodType<A>;
  /** Set on an alias (seed 004's bare names): the canonical tool it stands for. */
  aliasOf?: string;
  run(args: A, ctx: CallerContext): Promise<unknown>;
}

/** Erases a tool's argument type so tools of different arguments share one list (run gets parsed args). */
export function defineTool<A>(tool: BuiltinTool<A>): BuiltinTool {
  return tool as unknown as BuiltinTool;
}

/** JSON Schema of a zod object, in MCP's inputSchema shape (the input side: defaults are optional). */
export function inputSchemaOf(schema: z.ZodType): BuiltinTool["inputSchema"] {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  return { ...json, type: "object" } as BuiltinTool["inputSchema"];
}

export type { CallToolResult };
