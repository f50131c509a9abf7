/**
 * The MCP tools of the ops domain, as plain definitions for the lead's built-in toolset: one
 * `ops.<operation>` per catalog entry (its arguments: target_id, dry_run and the operation's
 * parameters, flat as in seed 002) and the five meta tools. Operation tools are run by the
 * gateway pipeline (ops.prepare → policy/approval/audit → ops.execute); meta tools by
 * `callMetaTool`, which still asks the policy (simulate, allowed_operations) but runs nothing.
 */
import { z } from "zod";
import { OPERATIONS, toolNameOf, toolSchemaOf } from "./catalog";
import type { OpsCaller } from "./policy";
import { AllowedOperationsInput, type Ops, SimulateInput, TestBackendsInput, ValidateInput } from "./service";

export interface OpsToolDefinition {
  name: string;
  title: string;
  description: string;
  /** JSON Schema of the arguments (MCP inputSchema). */
  inputSchema: Record<string, unknown> & { type: "object" };
  schema: z.ZodType;
  /** MCP readOnlyHint: the tool changes nothing. */
  readOnly: boolean;
  kind: "operation" | "meta";
  operation?: string;
  timeout_ms?: { default: number; max: number };
  backends?: readonly string[];
}

function jsonSchema(s: z.ZodType): OpsToolDefinition["inputSchema"] {
  const { $schema: _drop, ...json } = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...json, type: "object" };
}

export const META_TOOLS = ["ops.simulate", "ops.validate", "ops.allowed_operations", "ops.policy_status", "ops.test_backends"] as const;
export type MetaTool = (typeof META_TOOLS)[number];

const PolicyStatusInput = z.strictObject({});

let cached: OpsToolDefinition[] | null = null;

export function opsToolDefinitions(): OpsToolDefinition[] {
  if (cached) return cached;
  const ops: OpsToolDefinition[] = OPERATIONS.map((op) => ({
    name: toolNameOf(op),
    title: op.title,
    description: `${op.description} Backends: ${op.backends.join(", ")}. Timeout ${op.timeout.default_ms / 1000}s (at most ${op.timeout.max_ms / 1000}s). ${op.mutates ? "Changes the target; governed by policy (production usually needs approval)." : "Read-only."} Pass dry_run: true to get the exact backend action without running it.`,
    inputSchema: jsonSchema(toolSchemaOf(op)),
    schema: toolSchemaOf(op),
    readOnly: !op.mutates,
    kind: "operation",
    operation: op.name,
    timeout_ms: { default: op.timeout.default_ms, max: op.timeout.max_ms },
    backends: op.backends,
  }));
  const meta: OpsToolDefinition[] = [
    { name: "ops.simulate", title: "Simulate an ops operation", description: "Dry run: validates the parameters, evaluates the policy for the target (its inventory role, or a labelled what-if target_role) and returns the decision, its trace and the exact backend action that would run. Nothing runs.", schema: SimulateInput, inputSchema: jsonSchema(SimulateInput), readOnly: true, kind: "meta" },
    { name: "ops.validate", title: "Validate ops parameters", description: "Checks an operation's parameters against the catalog (and, with target_id, against that target's backend). No policy, no backend I/O.", schema: ValidateInput, inputSchema: jsonSchema(ValidateInput), readOnly: true, kind: "meta" },
    { name: "ops.allowed_operations", title: "Allowed ops operations", description: "For a target (or a what-if target role) and you: the operations the policy allows, those needing approval and those denied (seed 002 list_allowed_operations).", schema: AllowedOperationsInput, inputSchema: jsonSchema(AllowedOperationsInput), readOnly: true, kind: "meta" },
    { name: "ops.policy_status", title: "Ops policy status", description: "The active policy, global dry-run mode, break-glass state, catalog and backends.", schema: PolicyStatusInput, inputSchema: jsonSchema(PolicyStatusInput), readOnly: true, kind: "meta" },
    { name: "ops.test_backends", title: "Test ops backends", description: "Connects to one target (target_id) or the tenant's targets and reports what answered; changes nothing.", schema: TestBackendsInput, inputSchema: jsonSchema(TestBackendsInput), readOnly: true, kind: "meta" },
  ];
  cached = [...ops, ...meta];
  return cached;
}

export function isMetaTool(name: string): name is MetaTool {
  return (META_TOOLS as readonly string[]).includes(name);
}

/** Runs a meta tool (arguments validated by the tool's schema; a ZodError maps to 400 in lib/errors). */
export async function callMetaTool(ops: Ops, caller: OpsCaller, name: MetaTool, args: unknown, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
  switch (name) {
    case "ops.simulate":
      return ops.simulate(caller, args);
    case "ops.validate":
      return ops.validate(caller, args);
    case "ops.allowed_operations":
      return ops.allowedOperations(caller, args);
    case "ops.policy_status":
      PolicyStatusInput.parse(args ?? {});
      return ops.policyStatus(caller);
    case "ops.test_backends":
      return ops.testBackends(caller, args, opts);
  }
}
