export { getActivePolicy, forgetTenantVersions, type ActivePolicy } from "./active";
export { loadStartupPolicy, StartupPolicyError, type StartupPolicy } from "./startup";
export { validatePolicyText, simulateCall } from "./operations";
export * from "./schemas";
export { readPolicyText } from "./request";
