export { createGateway, type Gateway, type GatewayDeps } from "./gateway";
export { checkCall, enforceCall } from "./pipeline";
export { mayBeAllowed, templateMayBeAllowed, visibleTools } from "./list-tools";
export { createOfferings, OfferingNotFoundError, OFFERING_NOT_FOUND, type Governed, type OfferingsGateway } from "./offerings";
export { shownVerdict } from "./shown-verdict";
export type { EnforceDeps } from "./deps";
export type * from "./types";
export { guardRequestSchema, verdictSchema, type GuardRequest } from "./schemas";
