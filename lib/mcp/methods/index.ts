import type { MethodEntry } from "./context";
import { discover } from "./discover";
import { initialize } from "./initialize";
import { ping } from "./ping";
import { PROXIED_METHODS } from "./proxy";
import { toolsCall } from "./tools-call";
import { toolsList } from "./tools-list";

export type { McpGateway, MethodContext, MethodEntry } from "./context";
export { explain, toToolResult } from "./tools-call";

/**
 * The JSON-RPC methods /mcp answers, one module each; each entry names the eras it serves
 * (lib/mcp/revisions.ts). A method missing here, or not served in the request's era, is -32601.
 * One line per method keeps additions easy to merge.
 */
export const METHODS: Readonly<Record<string, MethodEntry>> = {
  initialize,
  ping,
  "server/discover": discover,
  "tools/list": toolsList,
  "tools/call": toolsCall,
  ...PROXIED_METHODS,
};

export function methodFor(method: string): MethodEntry | undefined {
  return Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
}
