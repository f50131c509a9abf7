import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { ZodError } from "zod";
import { UnknownToolError } from "@/lib/mcp/upstreams/errors";
import { aegisAliases, aegisTools } from "./aegis-tools";
import { cloudEstimateTool } from "./cloud-estimate";
import { type OpsToolDeps, opsTools } from "./ops-tools";
import type { AegisDeps, BuiltinTool, CallerContext } from "./types";

export interface BuiltinToolset {
  /** MCP tool definitions, for tools/list. */
  list(): Tool[];
  get(name: string): BuiltinTool | undefined;
  has(name: string): boolean;
  /** The canonical name of a tool (an alias's target; any other name as given): what policies see. */
  canonical(name: string): string;
  /**
   * Runs a built-in tool. Invalid arguments are a tool error result (the agent can correct
   * them); errors thrown by the injected dependencies propagate. Unknown names throw UnknownToolError.
   */
  call(name: string, args: unknown, ctx: CallerContext): Promise<CallToolResult>;
}

function describeIssues(err: ZodError): string {
  return err.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The result as JSON text, and as structuredContent when it is an object (MCP requires an object there). */
export function jsonResult(value: unknown): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value ?? null) }],
    ...(isPlainObject(value) ? { structuredContent: value } : {}),
  };
}

/** The built-in tools: cloud.estimate always; the AegisMCP and ops tools when their dependencies are given. */
export function builtinTools(deps: { aegis?: AegisDeps; ops?: OpsToolDeps } = {}): BuiltinToolset {
  const aegis = deps.aegis ? aegisTools(deps.aegis) : [];
  const tools = [cloudEstimateTool, ...aegis, ...aegisAliases(aegis), ...(deps.ops ? opsTools(deps.ops) : [])];
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    list: () =>
      tools.map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: t.inputSchema,
        annotations: { title: t.title, readOnlyHint: t.readOnly, openWorldHint: false },
      })),
    get: (name) => byName.get(name),
    has: (name) => byName.has(name),
    canonical: (name) => byName.get(name)?.aliasOf ?? name,
    async call(name, args, ctx) {
      const tool = byName.get(name);
      if (!tool) throw new UnknownToolError(name);
      const parsed = tool.schema.safeParse(args ?? {});
      if (!parsed.success) {
        return { isError: true, content: [{ type: "text", text: `invalid arguments for ${name}: ${describeIssues(parsed.error)}` }] };
      }
      return jsonResult(await tool.run(parsed.data, ctx));
    },
  };
}
