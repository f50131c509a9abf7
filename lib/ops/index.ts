/**
 * The ops domain (seed 002, issue 16): capability catalog, targets inventory, execution backends
 * (local, ssh, docker, proxmox) and the functions the gateway and the API call. See README.md.
 */
export { createOps, targetView, type Ops, type OpsDeps, type OpsOutcome, type OpsRunResult, type PreparedOp, SimulateInput, ValidateInput, AllowedOperationsInput, TestBackendsInput } from "./service";
export { opsToolDefinitions, callMetaTool, isMetaTool, META_TOOLS, type MetaTool, type OpsToolDefinition } from "./tools";
export {
  OPERATIONS,
  OPERATION_NAMES,
  OPS_TOOL_PREFIX,
  OPS_FACT_MAPS,
  getOperation,
  operationOfTool,
  toolNameOf,
  toolSchemaOf,
  validateParams,
  effectiveTimeoutMs,
  type OperationSpec,
  type ParamIssue,
} from "./catalog";
export { engineDecider, type OpsCaller, type OpsDecision, type OpsPolicy, type OpsPolicyCall, type EmergencyGrant, type EmergencyGrants } from "./policy";
export { type OpsFacts, type TargetFacts, InventoryCache, computeFacts } from "./facts";
export { TargetInputSchema, targetFromRow, targetWrite, maintenanceState, checkGatewayHostRules, type TargetInput } from "./targets";
export { DEFAULT_OPS_CONFIG, OpsEnvShape, opsConfig, type OpsConfig, type OpsEnv } from "./config";
export { envSecretResolver, secretEnvName, type OpsSecretResolver } from "./secrets";
export { prismaTargetStore, type OpsTargetStore } from "./store";
export type { Backend, BackendContext, OpsLogger } from "./backends/types";
export * from "./types";
