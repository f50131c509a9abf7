import { InitializeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { proxyCapabilities } from "../proxy";
import { invalidParams } from "../rpc";
import { LATEST_SESSION_REVISION, SESSION_REVISIONS } from "../revisions";
import type { MethodEntry } from "./context";
import { CAPABILITIES, INSTRUCTIONS, SERVER_INFO } from "./server-info";

/** initialize (session era): the requested revision when spoken, else the latest session one. */
export const initialize: MethodEntry = {
  eras: ["session"],
  async handle(message, ctx) {
    const parsed = InitializeRequestSchema.safeParse(message);
    if (!parsed.success) throw invalidParams(parsed.error.issues);
    const requested = parsed.data.params.protocolVersion;
    return {
      protocolVersion: SESSION_REVISIONS.includes(requested) ? requested : LATEST_SESSION_REVISION,
      capabilities: { ...CAPABILITIES, ...(await proxyCapabilities(ctx.gateway, ctx.principal)) },
      serverInfo: SERVER_INFO,
      instructions: INSTRUCTIONS,
    };
  },
};
