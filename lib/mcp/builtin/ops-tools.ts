import { AppError } from "@/lib/errors";
import { type MetaTool, opsToolDefinitions } from "@/lib/ops/tools";
import type { BuiltinTool, CallerContext } from "./types";

/** What the ops built-ins need from the rest of the gateway (the composition root binds the ops service). */
export interface OpsToolDeps {
  /** Runs a read-only meta tool (ops.simulate, ops.validate, …) for the caller. */
  callMeta(name: MetaTool, args: unknown, ctx: CallerContext): Promise<unknown>;
}

/**
 * Seed 002's operations as built-in tools: `ops.<operation>` per catalog entry and the five meta
 * tools. An operation never runs from here: the gateway's facts step prepares it (parameters,
 * target, inventory facts) and the pipeline runs exactly what the policy decided; reaching `run`
 * means that step was bypassed, so it refuses.
 */
export function opsTools(deps: OpsToolDeps): BuiltinTool[] {
  return opsToolDefinitions().map((d) => ({
    name: d.name,
    title: d.title,
    description: d.description,
    inputSchema: d.inputSchema as BuiltinTool["inputSchema"],
    permission: "mcp.call" as const,
    readOnly: d.readOnly,
    schema: d.schema,
    run: async (args: unknown, ctx: CallerContext) => {
      if (d.kind === "meta") return deps.callMeta(d.name as MetaTool, args, ctx);
      throw new AppError(500, "ops_not_prepared", `${d.name} runs only through the gateway pipeline (facts, policy, approvals, audit); it was not prepared`);
    },
  }));
}
