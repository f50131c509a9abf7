export { getActivePolicy, forgetTenantVersions, type ActivePolicy } from "./active";
export { loadStartupPolicy, StartupPolicyError, type StartupPolicy } from "./startup";
export { validatePolicyText, simulateCall, migratePolicyText } from "./operations";
export * from "./schemas";
export { readPolicyText } from "./request";
export { describeActivePolicy } from "./current";
export { diffAgainstActive, replayDecisions, type DiffResult, type DecisionChange, type ReplayReport } from "./diff";
export { applyPolicy, rollbackPolicy, listPolicyVersions, signingRequired } from "./lifecycle";
export { readFields } from "./form";
