export { createGateway, type Gateway, type GatewayDeps } from "./gateway";
export { checkCall, enforceCall } from "./pipeline";
export { mayBeAllowed, visibleTools } from "./list-tools";
export { shownVerdict } from "./shown-verdict";
export type { EnforceDeps } from "./deps";
export type * from "./types";
export { guardRequestSchema, verdictSchema, type GuardRequest } from "./schemas";
