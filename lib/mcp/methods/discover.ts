import { proxyCapabilities } from "../proxy";
import { SUPPORTED_REVISIONS } from "../revisions";
import type { MethodEntry } from "./context";
import { CAPABILITIES, INSTRUCTIONS } from "./server-info";

/** server/discover (stateless era, mandatory): the revisions spoken and what is offered. */
export const discover: MethodEntry = {
  eras: ["stateless"],
  async handle(_message, ctx) {
    // What the caller's tenant is offered (resources, prompts, completions as the upstreams declare them).
    // No listChanged/subscribe: 2026-07-28 delivers those on subscriptions/listen, which is not served yet.
    const { logging: _logging, resources, prompts, ...offered } = await proxyCapabilities(ctx.gateway, ctx.principal);
    const capabilities = { ...CAPABILITIES, ...offered, ...(resources ? { resources: {} } : {}), ...(prompts ? { prompts: {} } : {}) };
    return { supportedVersions: [...SUPPORTED_REVISIONS], capabilities, instructions: INSTRUCTIONS };
  },
};
