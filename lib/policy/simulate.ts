/**
 * Parse + compile + evaluate in one call, shaped for the simulate API and the CLI: the decision
 * with its trace, or the validation errors of the policy or the call.
 */
import { z } from "zod";
import { compilePolicy, CompiledPolicy, type CompileOptions } from "./compile";
import { evaluate } from "./evaluate";
import { formatPath, parsePolicy } from "./parse";
import { RULE_KINDS } from "./schema";
import type { EvalContext, PolicyDecision, ValidationError } from "./types";

export const ToolCallSchema = z.object({
  tool: z.string({ error: "`tool` must be a string" }).min(1, { error: "`tool` must not be empty" }),
  kind: z.enum(RULE_KINDS, { error: "`kind` must be tool, resource or prompt" }).optional(),
  arguments: z.record(z.string(), z.unknown(), { error: "`arguments` must be an object" }).optional(),
  estimated_cost_usd: z.number({ error: "`estimated_cost_usd` must be a number" }).optional(),
});

export interface SimulateInput {
  /** Policy YAML text, or an already compiled policy (the tenant's active one). */
  policy: string | CompiledPolicy;
  call: unknown;
  context: EvalContext;
  trace?: boolean;
  compileOptions?: CompileOptions;
}

export interface SimulateResult {
  ok: boolean;
  decision: PolicyDecision | null;
  errors: ValidationError[];
}

export function simulate(input: SimulateInput): SimulateResult {
  let compiled: CompiledPolicy;
  if (typeof input.policy === "string") {
    const parsed = parsePolicy(input.policy);
    if (!parsed.ok) return { ok: false, decision: null, errors: parsed.errors };
    compiled = compilePolicy(parsed.policy, input.compileOptions);
  } else compiled = input.policy;

  const call = ToolCallSchema.safeParse(input.call);
  const errors: ValidationError[] = [];
  if (!call.success) {
    for (const i of call.error.issues)
      errors.push({ line: 0, column: 0, path: formatPath(["call", ...(i.path as (string | number)[])]), message: i.message.startsWith("Invalid input") ? `call${i.path.length ? "." + i.path.join(".") : ""}: ${i.message}` : i.message });
  }
  const now = input.context?.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    errors.push({ line: 0, column: 0, path: "at", message: "`at` must be a valid ISO 8601 instant" });
  if (errors.length > 0) return { ok: false, decision: null, errors };
  return { ok: true, decision: evaluate(input.call, compiled, input.context, { trace: input.trace !== false }), errors: [] };
}

/** Parse and compile YAML text; the loader of the active policy uses this too. */
export function loadPolicy(
  text: string,
  options?: CompileOptions,
): { ok: true; compiled: CompiledPolicy; errors: [] } | { ok: false; compiled: null; errors: ValidationError[] } {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return { ok: false, compiled: null, errors: parsed.errors };
  return { ok: true, compiled: compilePolicy(parsed.policy, options), errors: [] };
}
