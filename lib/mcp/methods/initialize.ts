import { InitializeRequestSchema, type ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { proxyCapabilities } from "../proxy";
import { invalidParams } from "../rpc";
import { LATEST_SESSION_REVISION, SESSION_REVISIONS } from "../revisions";
import type { MethodEntry } from "./context";
import { CAPABILITIES, INSTRUCTIONS, SERVER_INFO } from "./server-info";

/** Session-era clients learn of list changes on GET /mcp's stream (lib/mcp/listen); 2026-07-28 has no such stream. */
function withListChanged(c: ServerCapabilities): ServerCapabilities {
  const out = { ...c, tools: { ...c.tools, listChanged: true } };
  if (c.resources) out.resources = { ...c.resources, listChanged: true };
  if (c.prompts) out.prompts = { ...c.prompts, listChanged: true };
  return out;
}

/** initialize (session era): the requested revision when spoken, else the latest session one. */
export const initialize: MethodEntry = {
  eras: ["session"],
  async handle(message, ctx) {
    const parsed = InitializeRequestSchema.safeParse(message);
    if (!parsed.success) throw invalidParams(parsed.error.issues);
    const requested = parsed.data.params.protocolVersion;
    return {
      protocolVersion: SESSION_REVISIONS.includes(requested) ? requested : LATEST_SESSION_REVISION,
      capabilities: withListChanged({ ...CAPABILITIES, ...(await proxyCapabilities(ctx.gateway, ctx.principal)) }),
      serverInfo: SERVER_INFO,
      instructions: INSTRUCTIONS,
    };
  },
};
