export {
  parseUpstreamsConfig,
  UpstreamsConfigSchema,
  type FactMap,
  type HttpServerConfig,
  type ServerConfig,
  type StdioServerConfig,
  type ToolSettings,
  type UpstreamsConfig,
} from "./config";
export {
  UpstreamRegistry,
  type CallOptions,
  type DbProblem,
  type DbUpstreamSource,
  type ExposedTool,
  type ListToolsResult,
  type RegistryOptions,
  type RegistryStatus,
  type UpstreamSource,
} from "./registry";
export { DB_SECRET_PREFIX, DbServerSchema, rowToServer, serverToWrite, STDIO_REFUSED } from "./db-config";
export { backoffDelay, type Backoff, type UpstreamStatus } from "./connection";
export {
  UnknownToolError,
  UpstreamCallError,
  UpstreamConfigError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors";
export { interpolate, isSensitiveName, type SecretResolver } from "./secrets";
export { resolvePackageBin } from "./transport";
export { createUpstreamRegistry, DB_UPSTREAMS_RELOAD_MS, upstreamNetwork } from "./default-registry";
