import type { MethodEntry } from "./context";

/** tools/list: the tools the caller could ever be allowed to call (policy-filtered, so private to the caller). */
export const toolsList: MethodEntry = {
  eras: ["session", "stateless"],
  privateList: true,
  handle: async (_message, ctx) => ({ tools: await ctx.gateway.listTools(ctx.principal) }),
};
