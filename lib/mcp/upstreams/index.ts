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
export { UpstreamRegistry, type CallOptions, type ExposedTool, type ListToolsResult, type RegistryOptions } from "./registry";
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
export { closeUpstreams, getUpstreams } from "./default-registry";
