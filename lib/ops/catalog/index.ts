/**
 * The capability catalog's lookups: operations by name and by tool name, parameter validation
 * with readable issues, effective timeouts, the MCP input schema of each `ops.<operation>` tool,
 * and the fact maps that let policies see the catalog's path parameters.
 */
import { z } from "zod";
import type { FactMap } from "@/lib/policy";
import { OPERATIONS, type OperationSpec, strictParams } from "./operations";
import { Bool, TargetId } from "./params";

export { OPERATIONS, MAX_FILE_BYTES, strictParams, type OperationSpec } from "./operations";
export * from "./params";

export const OPS_TOOL_PREFIX = "ops.";
export const OPERATION_NAMES: readonly string[] = OPERATIONS.map((o) => o.name);
const BY_NAME = new Map(OPERATIONS.map((o) => [o.name, o]));

export function getOperation(name: string): OperationSpec | undefined {
  return BY_NAME.get(name);
}

/** The operation an `ops.<operation>` tool name runs; undefined for other tools (and the meta tools). */
export function operationOfTool(tool: string): OperationSpec | undefined {
  return tool.startsWith(OPS_TOOL_PREFIX) ? BY_NAME.get(tool.slice(OPS_TOOL_PREFIX.length)) : undefined;
}

export const toolNameOf = (op: OperationSpec | string) => `${OPS_TOOL_PREFIX}${typeof op === "string" ? op : op.name}`;

export interface ParamIssue {
  /** Dotted path of the parameter (`ports.0.host_port`), "" for the whole object. */
  path: string;
  message: string;
}

export type ParamsResult = { ok: true; params: Record<string, unknown> } | { ok: false; errors: ParamIssue[] };

export function issuesOf(e: z.ZodError): ParamIssue[] {
  return e.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** The operation's parameters validated, defaults applied; or the issues (at most 20). */
export function validateParams(op: OperationSpec, raw: unknown): ParamsResult {
  const r = op.schema.safeParse(raw ?? {});
  return r.success ? { ok: true, params: r.data as Record<string, unknown> } : { ok: false, errors: issuesOf(r.error) };
}

/** Run time of one call: its `timeout` (seconds) when given, else the operation's default; never above the maximum. */
export function effectiveTimeoutMs(op: OperationSpec, params: Record<string, unknown>): number {
  const t = typeof params.timeout === "number" ? params.timeout * 1000 : op.timeout.default_ms;
  return Math.min(t, op.timeout.max_ms);
}

const toolSchemas = new Map<string, z.ZodObject>();

/** Arguments of the `ops.<operation>` tool: target_id, dry_run and the operation's parameters (flat, as seed 002's tools). */
export function toolSchemaOf(op: OperationSpec): z.ZodObject {
  let s = toolSchemas.get(op.name);
  if (!s) {
    s = strictParams(
      {
        target_id: TargetId,
        dry_run: Bool("dry_run").default(false).describe("Plan only: return the exact backend action without running it"),
        ...op.shape,
      },
      op.refine,
    );
    toolSchemas.set(op.name, s);
  }
  return s;
}

/** Splits validated tool arguments into the target, the dry-run flag and the operation's parameters. */
export function splitToolArgs(args: Record<string, unknown>): { targetId: string; dryRun: boolean; params: Record<string, unknown> } {
  const { target_id, dry_run, ...params } = args;
  return { targetId: target_id as string, dryRun: dry_run === true, params };
}

/**
 * Fact sources for the policy engine (pass as `context.facts` or merge into the upstream maps):
 * the catalog's paths that are not under a default path key, so `path_under` / `path_not_under`
 * see both ends of a copy and the compose file of a stack.
 */
export const OPS_FACT_MAPS: Readonly<Record<string, FactMap>> = Object.freeze({
  [toolNameOf("file_copy")]: { path: ["source", "destination"] },
  [toolNameOf("stack_deploy")]: { path: ["compose_file"] },
  [toolNameOf("stack_update")]: { path: ["compose_file"] },
});
