/**
 * Typed failures of upstream calls. Each message names the upstream, the tool and the category of
 * failure (HTTP status, refused address class, timeout, exit code), never the remote's own text or
 * a host path, so the gateway can hand it to the agent (and the audit log) as is. `detail`, when
 * set, is the full story for the server log only.
 */
export class UpstreamError extends Error {
  detail?: string;

  constructor(
    message: string,
    readonly upstream: string | null,
    readonly tool: string | null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The upstream could not be reached, crashed, or closed the connection (the call may not have run). */
export class UpstreamUnavailableError extends UpstreamError {
  constructor(
    message: string,
    upstream: string,
    tool: string | null,
    /** Earliest time (ms since epoch) a reconnect will be tried; null when the next call tries. */
    readonly retryAt: number | null = null,
  ) {
    super(message, upstream, tool);
  }
}

/** No answer within the timeout (the upstream was told to cancel; the call may have run). */
export class UpstreamTimeoutError extends UpstreamError {
  constructor(
    message: string,
    upstream: string,
    tool: string,
    readonly timeoutMs: number,
  ) {
    super(message, upstream, tool);
  }
}

/** UnknownToolError's code: matched by value, since a bundled build renames classes and may hold two copies of one. */
export const UNKNOWN_TOOL = "unknown_tool";

/** No tool of that exposed name (or not for this tenant). */
export class UnknownToolError extends UpstreamError {
  readonly code = UNKNOWN_TOOL;

  constructor(readonly exposedName: string, detail?: string) {
    super(`unknown tool \`${exposedName}\`${detail ? `: ${detail}` : ""}`, null, exposedName);
  }
}

/** The upstream answered with a JSON-RPC error (e.g. invalid params) instead of a tool result. */
export class UpstreamCallError extends UpstreamError {
  constructor(
    message: string,
    upstream: string,
    tool: string,
    readonly code: number,
  ) {
    super(message, upstream, tool);
  }
}

/** MissingClientCapabilityError's code (matched by value, as UNKNOWN_TOOL is). */
export const MISSING_CLIENT_CAPABILITY = "missing_client_capability";
/** MCP 2026-07-28's MissingRequiredClientCapability, which an upstream answers when the caller did not declare what the call needs. */
export const MISSING_CLIENT_CAPABILITY_RPC = -32021;

/**
 * The upstream needs a client capability the caller did not declare (MCP 2026-07-28, -32021): the
 * caller's own mistake to fix, so it is answered as the protocol error it is, not as a tool result.
 */
export class MissingClientCapabilityError extends UpstreamError {
  readonly code = MISSING_CLIENT_CAPABILITY;

  constructor(
    upstream: string,
    tool: string,
    /** The capabilities named, as a ClientCapabilities object (names only: `{ sampling: {} }`). */
    readonly requiredCapabilities: Record<string, Record<string, never>>,
  ) {
    super(`${tool} needs client capabilities the request did not declare: ${Object.keys(requiredCapabilities).join(", ") || "unnamed"}; declare them in _meta["io.modelcontextprotocol/clientCapabilities"]`, upstream, tool);
  }
}

/**
 * The capability names of an upstream's -32021 data, bounded: at most 16 names of capability
 * shape; anything else of the remote's data is dropped.
 */
export function requiredCapabilitiesOf(data: unknown): Record<string, Record<string, never>> {
  const given = (data as { requiredCapabilities?: unknown } | undefined)?.requiredCapabilities;
  if (typeof given !== "object" || given === null || Array.isArray(given)) return {};
  const names = Object.keys(given).filter((k) => /^[A-Za-z][\w./-]{0,63}$/.test(k)).slice(0, 16);
  return Object.fromEntries(names.map((k) => [k, {}]));
}

/** upstreams.yaml is invalid; `problems` are "file:line:col path: message" lines. */
export class UpstreamConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid upstreams configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "UpstreamConfigError";
  }
}
