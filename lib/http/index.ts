/**
 * The HTTP boundary shared by every route: bounded body reading (413 payload_too_large) and the
 * answers for methods a route does not implement (405 with Allow).
 */
export { BODY_LIMITS, bodyLimitBytes, checkDeclaredLength, formatBytes, jsonBody, PAYLOAD_TOO_LARGE, readBodyBytes, readBodyForm, readBodyText, type BodyKind, type BodyLimit } from "./body";
export { allowedMethods, HTTP_METHODS, methodsNotAllowed, NOT_ALLOWED, type HttpMethod, type NotAllowedHandler } from "./methods";
