import { proxyCapabilities } from "../proxy";
import { SUPPORTED_REVISIONS } from "../revisions";
import type { MethodEntry } from "./context";
import { CAPABILITIES, INSTRUCTIONS } from "./server-info";

/** server/discover (stateless era, mandatory): the revisions spoken and what is offered. */
export const discover: MethodEntry = {
  eras: ["stateless"],
  async handle(_message, ctx) {
    // What the caller's tenant is offered (resources, prompts, completions as the upstreams declare them).
    const { logging: _logging, ...offered } = await proxyCapabilities(ctx.gateway, ctx.principal);
    return { supportedVersions: [...SUPPORTED_REVISIONS], capabilities: { ...CAPABILITIES, ...offered }, instructions: INSTRUCTIONS };
  },
};
