export { builtinTools, jsonResult, type BuiltinToolset } from "./toolset";
export { cloudEstimateTool, type CloudEstimateArgs } from "./cloud-estimate";
export { aegisTools, AEGIS_NAMESPACE } from "./aegis-tools";
export { opsTools, type OpsToolDeps } from "./ops-tools";
export type { AegisDeps, ApprovalRequest, AuditEntry, BuiltinTool, CallerContext, GuardCall } from "./types";
