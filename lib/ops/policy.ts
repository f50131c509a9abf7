/**
 * The policy port of the ops domain. createOps never evaluates policy itself: it builds the call
 * (`OpsPolicyCall`: the validated arguments, the target's facts, the caller with any break-glass
 * role) and asks an injected `decide`. `engineDecider` is the adapter onto lib/policy's pure
 * engine, for the composition root and the tests.
 */
import { type CompiledPolicy, evaluate, type FactMap } from "@/lib/policy";
import { OPS_FACT_MAPS } from "./catalog";
import type { OpsFacts } from "./facts";
import type { TargetRole } from "./types";

export interface OpsCaller {
  tenant: string;
  subject: string;
  roles: readonly string[];
  traceId?: string;
}

/** An active break-glass activation (the lead's emergency store implements `EmergencyGrants`). */
export interface EmergencyGrant {
  id: string;
  reason: string;
  activated_by: string;
  expires_at: string;
  scope: "tenant" | "platform";
}

export interface EmergencyGrants {
  /** The caller's active grant at `now`, if any; while active, the caller holds the emergency role for ops policies. */
  active(caller: OpsCaller, now: Date): Promise<EmergencyGrant | null>;
}

/** One ops call as the policy sees it. */
export interface OpsPolicyCall {
  /** `ops.<operation>`. */
  tool: string;
  /**
   * target_id, the validated parameters (defaults applied) and `target` (the target's facts:
   * id, name, backend, role, tags, maintenance_window) so policies can test them with `args`.
   */
  arguments: Record<string, unknown>;
  tenant: string;
  subject: string;
  /** The caller's roles, plus the emergency role while a break-glass grant is active. */
  roles: readonly string[];
  /** From the inventory; in ops.simulate, the caller's what-if role when given (see what_if). */
  targetRole: TargetRole;
  now: Date;
  facts: OpsFacts;
  emergency: EmergencyGrant | null;
  /** Set only by ops.simulate when the caller supplied a target role: a labelled what-if, never enforcement. */
  what_if: { target_role: TargetRole; inventory_role: TargetRole } | null;
  dry_run: boolean;
}

export interface OpsDecision {
  decision: "allow" | "deny" | "approval";
  reason: string;
  rule: string | null;
  [more: string]: unknown;
}

export interface OpsPolicy {
  decide(call: OpsPolicyCall): Promise<OpsDecision>;
  /** The active policy's identity for ops.policy_status (version, hash, signature state). */
  status?(caller: OpsCaller): Promise<Record<string, unknown>>;
}

/** A decide() over lib/policy's engine: the caller's compiled policy, the call's target role and time, the catalog's fact maps. */
export function engineDecider(policyFor: (caller: OpsCaller) => Promise<CompiledPolicy> | CompiledPolicy, opts: { trace?: boolean; facts?: Readonly<Record<string, FactMap>> } = {}): OpsPolicy["decide"] {
  const facts = { ...OPS_FACT_MAPS, ...opts.facts };
  return async (call) => {
    const compiled = await policyFor({ tenant: call.tenant, subject: call.subject, roles: call.roles });
    const d = evaluate({ tool: call.tool, arguments: call.arguments }, compiled, { tenant: call.tenant, subject: call.subject, roles: call.roles, targetRole: call.targetRole, now: call.now, facts }, { trace: opts.trace !== false });
    return { ...d, decision: d.decision, reason: d.reason, rule: d.rule };
  };
}
