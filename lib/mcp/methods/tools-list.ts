import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { MethodEntry } from "./context";

/**
 * 2026-07-28 deleted `execution.taskSupport` from a tool's definition (tasks became an
 * extension), so the stateless wire leaves it out; everything else of the upstream's definition
 * passes through. (Tools whose taskSupport is "required" are hidden in either era.)
 */
function statelessTool(tool: Tool): Tool {
  if (!tool.execution || !("taskSupport" in tool.execution)) return tool;
  const { taskSupport: _taskSupport, ...execution } = tool.execution;
  const { execution: _execution, ...rest } = tool;
  return Object.keys(execution).length > 0 ? { ...rest, execution } : rest;
}

/** tools/list: the tools the caller could ever be allowed to call (policy-filtered, so private to the caller). */
export const toolsList: MethodEntry = {
  eras: ["session", "stateless"],
  privateList: true,
  async handle(_message, ctx) {
    const tools = await ctx.gateway.listTools(ctx.principal);
    return { tools: ctx.era === "stateless" ? tools.map(statelessTool) : tools };
  },
};
