export { gatewayCall, gatewayCheck, gatewayDecision, gatewayEnforce, gatewayListTools } from "./gateway";
export { checkCall, enforceCall } from "./pipeline";
export { mayBeAllowed, visibleTools } from "./list-tools";
export { gatewayDeps, builtins } from "./default-deps";
export type { EnforceDeps } from "./deps";
export type * from "./types";
export { guardRequestSchema, verdictSchema, type GuardRequest } from "./schemas";
