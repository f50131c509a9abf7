export { getActivePolicy, forgetTenantVersions, type ActivePolicy } from "./active";
export { loadStartupPolicy, StartupPolicyError, type StartupPolicy } from "./startup";
export { validatePolicyText, simulateCall, migratePolicyText } from "./operations";
export * from "./schemas";
export { readPolicyText } from "./request";
export { describeActivePolicy } from "./current";
