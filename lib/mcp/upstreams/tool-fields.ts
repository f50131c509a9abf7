import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/**
 * The optional fields of an upstream's tool definition we pass through as they are (the MCP spec's
 * tool fields beyond name, description and input schema; annotations are untrusted hints).
 */
export function passThroughToolFields(t: Pick<Tool, "outputSchema" | "annotations" | "icons" | "execution" | "_meta">): Partial<Tool> {
  return {
    ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
    ...(t.annotations ? { annotations: t.annotations } : {}),
    ...(t.icons ? { icons: t.icons } : {}),
    ...(t.execution ? { execution: t.execution } : {}),
    ...(t._meta ? { _meta: t._meta } : {}),
  };
}
