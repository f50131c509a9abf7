import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { randomUUID } from "node:crypto";
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ProgressNotificationSchema,
  type CallToolResult,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";
import type { ToolCallRound } from "@/lib/enforce/types";
import { answerUpstreamRequest, callStreamHandler, InflightRelays, ProgressRoutes } from "../relay/upstream-relay";
import type { CallRelay } from "../relay/types";
import type { ServerConfig } from "./config";
import {
  MISSING_CLIENT_CAPABILITY_RPC,
  MissingClientCapabilityError,
  requiredCapabilitiesOf,
  UpstreamCallError,
  type UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors";
import { failureCategory, failureDetail } from "./failure";
import { type BuiltTransport, buildTransport, type TransportContext } from "./transport";

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface ConnectionOptions {
  server: ServerConfig;
  ctx: TransportContext;
  connectTimeoutMs: number;
  backoff: Backoff;
  now?: () => number;
  onEvent?: (event: UpstreamEvent) => void;
  /** The tenant this connection serves (a per-tenant server's process), for logs. */
  tenant?: string;
}

/** For the server log: `detail` may hold remote text and host paths; callers never see it. */
export interface UpstreamEvent {
  type: "connected" | "closed" | "connect_failed" | "call_failed" | "tool_hidden" | "resource_hidden" | "resource_template_hidden" | "prompt_hidden";
  upstream: string;
  detail?: string;
  tenant?: string;
  traceId?: string;
  /** *_hidden: the tool, resource URI, template or prompt name that was hidden. */
  name?: string;
}

export type ConnectionState = "idle" | "connecting" | "ready" | "backoff" | "closed";

/** What an upstream offers besides tools, listed and cached like its tools. */
export interface Offerings {
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}
export type OfferingKind = keyof Offerings;

/** The list method, the result field and the capability behind each kind of offering. */
const LISTS: Record<OfferingKind, { method: string; field: string; capability: "resources" | "prompts" }> = {
  resources: { method: "resources/list", field: "resources", capability: "resources" },
  resourceTemplates: { method: "resources/templates/list", field: "resourceTemplates", capability: "resources" },
  prompts: { method: "prompts/list", field: "prompts", capability: "prompts" },
};
/** Pages read per listing: a server that keeps answering with a cursor is cut off here. */
const MAX_LIST_PAGES = 100;

export interface UpstreamStatus {
  name: string;
  transport: "stdio" | "http";
  state: ConnectionState;
  pid: number | null;
  restarts: number;
  consecutiveFailures: number;
  /** The category of the last failure (no remote text, no host path); the detail is logged. */
  lastError: string | null;
  retryAt: string | null;
}

/**
 * Delay before reconnect attempt n (n consecutive failures): the first retry is immediate, so a
 * crashed child is respawned by the very next call; repeated failures back off exponentially.
 */
export function backoffDelay(failures: number, b: Backoff): number {
  return failures <= 1 ? 0 : Math.min(b.initialMs * 2 ** (failures - 2), b.maxMs);
}

const LIST_RESULT: Record<OfferingKind, z.ZodType> = {
  resources: ListResourcesResultSchema,
  resourceTemplates: ListResourceTemplatesResultSchema,
  prompts: ListPromptsResultSchema,
};

/**
 * A 2026-07-28 round's fields on the upstream's tools/call: the caller's answers, the upstream's
 * requestState and the caller's capabilities (in `_meta`, where 2026-07-28 carries them). They
 * ride the upstream session as it is negotiated; an upstream that never asks for input ignores them.
 */
function roundParams(round: ToolCallRound | undefined): Record<string, unknown> {
  if (!round) return {};
  return {
    ...(round.inputResponses ? { inputResponses: round.inputResponses } : {}),
    ...(round.requestState !== undefined ? { requestState: round.requestState } : {}),
    ...(round.clientCapabilities ? { _meta: { [CLIENT_CAPABILITIES_META_KEY]: round.clientCapabilities } } : {}),
  };
}

/** JSON-RPC error texts are the upstream's answer to the call; bounded, they are shown. */
const MAX_REASON = 500;
const withDetail = <E extends UpstreamError>(err: E, detail: string): E => Object.assign(err, { detail });

/**
 * One upstream MCP server: one lazily opened SDK Client (requests are multiplexed over it),
 * replaced after a crash or a dropped connection.
 */
export class UpstreamConnection {
  private client?: Client;
  private built?: BuiltTransport;
  private connecting?: Promise<Client>;
  private tools?: Tool[];
  private offerings: Partial<Offerings> = {};
  private failures = 0;
  private retryAt = 0;
  private lastError: string | null = null;
  private connects = 0;
  private closed = false;
  private closedReason = "the gateway is shutting down";
  private readonly now: () => number;
  /** Relayed calls in flight on the SDK client (its logs and requests name no call). */
  private readonly inflight = new InflightRelays();
  private readonly progress = new ProgressRoutes();

  constructor(private readonly opts: ConnectionOptions) {
    this.now = opts.now ?? Date.now;
  }

  get name() {
    return this.opts.server.name;
  }

  status(): UpstreamStatus {
    const state: ConnectionState = this.closed
      ? "closed"
      : this.client
        ? "ready"
        : this.connecting
          ? "connecting"
          : this.now() < this.retryAt
            ? "backoff"
            : "idle";
    return {
      name: this.name,
      transport: this.opts.server.transport,
      state,
      pid: this.client ? (this.built?.pid() ?? null) : null,
      restarts: Math.max(0, this.connects - 1),
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      retryAt: this.retryAt > this.now() ? new Date(this.retryAt).toISOString() : null,
    };
  }

  /** Lists the upstream's tools (cached per connection, refreshed on list_changed). */
  async listTools(): Promise<Tool[]> {
    const client = await this.connect();
    if (this.tools && this.client === client) return this.tools;
    try {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.opts.connectTimeoutMs });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      if (this.client === client) this.tools = tools;
      return tools;
    } catch (e) {
      throw this.classify(e, client, "tools/list", this.opts.connectTimeoutMs);
    }
  }

  /** What the upstream declared at initialize (empty before it is connected and when it declared nothing). */
  async capabilities(): Promise<ServerCapabilities> {
    const client = await this.connect();
    return client.getServerCapabilities() ?? {};
  }

  /**
   * Lists the upstream's resources, resource templates or prompts (cached per connection,
   * refreshed on list_changed); nothing when it does not declare the capability.
   */
  async list<K extends OfferingKind>(kind: K): Promise<Offerings[K]> {
    const client = await this.connect();
    const cached = this.offerings[kind];
    if (cached && this.client === client) return cached;
    const spec = LISTS[kind];
    if (!client.getServerCapabilities()?.[spec.capability]) return [];
    try {
      const items: unknown[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = (await client.request({ method: spec.method, params: cursor ? { cursor } : {} } as never, LIST_RESULT[kind], { timeout: this.opts.connectTimeoutMs })) as Record<string, unknown> & { nextCursor?: string };
        items.push(...((page[spec.field] as unknown[]) ?? []));
        cursor = page.nextCursor;
      } while (cursor && ++pages < MAX_LIST_PAGES);
      if (this.client === client) this.offerings[kind] = items as Offerings[K];
      return items as Offerings[K];
    } catch (e) {
      throw this.classify(e, client, spec.method, this.opts.connectTimeoutMs);
    }
  }

  /**
   * Relays one request (resources/read, prompts/get, completion/complete, resources/subscribe…)
   * and validates its answer with `schema`. The upstream's JSON-RPC errors keep their code
   * (UpstreamCallError.rpcCode), so a caller can relay "resource not found" as such.
   */
  async request<T>(method: string, params: Record<string, unknown>, schema: z.ZodType<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    opts.signal?.throwIfAborted();
    const client = await this.connect();
    try {
      const result = (await client.request({ method, params } as never, schema as never, { timeout: opts.timeoutMs, signal: opts.signal })) as T;
      this.failures = 0;
      return result;
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      throw this.classify(e, client, method, opts.timeoutMs);
    }
  }

  async callTool(tool: string, args: Record<string, unknown> | undefined, opts: { timeoutMs: number; signal?: AbortSignal; round?: ToolCallRound; relay?: CallRelay }): Promise<CallToolResult> {
    const { _meta: roundMeta, ...round } = roundParams(opts.round) as { _meta?: Record<string, unknown> };
    opts.signal?.throwIfAborted();
    const client = await this.connect();
    const built = this.built;
    const relay = opts.relay;
    let untrack: (() => void) | undefined;
    try {
      const pooled = built?.pooled;
      const transport = built?.transport;
      let result: CallToolResult;
      if (pooled && transport instanceof StreamableHTTPClientTransport) {
        const session = { sessionId: transport.sessionId, protocolVersion: transport.protocolVersion };
        // The upstream's messages on this call's stream belong to it: progress under a token of
        // the gateway's (mapped back to the caller's), logs and requests straight to the caller.
        const upstreamToken = relay?.progressToken !== undefined ? randomUUID() : undefined;
        const onMessage = relay
          ? callStreamHandler(relay, upstreamToken, (answer) => void pooled.respond(answer, session).catch(() => {}), opts.signal)
          : undefined;
        const meta = { ...roundMeta, ...(upstreamToken ? { progressToken: upstreamToken } : {}) };
        const params = { name: tool, arguments: args ?? {}, ...round, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) };
        const raw = await pooled.request("tools/call", params, { timeoutMs: opts.timeoutMs, signal: opts.signal, ...session, onMessage });
        const parsed = CallToolResultSchema.safeParse(raw);
        if (!parsed.success) throw new StreamableHTTPError(-1, `the answer to ${tool} is not a tool result`);
        result = parsed.data;
      } else {
        const leave = this.inflight.enter(relay);
        // Progress under a token of the gateway's, routed by relayFrom (not the SDK's onprogress: see ProgressRoutes).
        const route = this.progress.open(relay, randomUUID);
        untrack = () => {
          leave();
          route.close();
        };
        const meta = { ...roundMeta, ...(route.token ? { progressToken: route.token } : {}) };
        const params = { name: tool, arguments: args ?? {}, ...round, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) };
        result = (await client.callTool(params, undefined, { timeout: opts.timeoutMs, signal: opts.signal })) as CallToolResult;
      }
      this.failures = 0;
      return result;
    } catch (e) {
      // The SDK wraps the abort reason as a timeout error; the caller's own reason is clearer.
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      throw this.classify(e, client, tool, opts.timeoutMs);
    } finally {
      untrack?.();
    }
  }

  /** Ends the session for good; later calls fail naming `reason`. */
  async close(reason?: string): Promise<void> {
    this.closed = true;
    if (reason) this.closedReason = reason;
    const pending = this.connecting;
    await pending?.catch(() => {});
    const client = this.client;
    const built = this.built;
    this.client = undefined;
    this.built = undefined;
    if (!client) return;
    if (built?.transport instanceof StreamableHTTPClientTransport) {
      // Tell the server the session is over; it must not wait for an idle timeout.
      await Promise.race([built.transport.terminateSession().catch(() => {}), new Promise((r) => setTimeout(r, 1_000).unref())]);
    }
    await client.close().catch(() => {});
    await built?.pooled?.close();
  }

  private unavailable(detail: string, tool: string | null) {
    const retryAt = this.retryAt > this.now() ? this.retryAt : null;
    const wait = retryAt ? `; next reconnect attempt in ${retryAt - this.now()} ms` : "";
    return new UpstreamUnavailableError(`upstream ${this.name} is unavailable: ${detail}${wait}`, this.name, tool, retryAt);
  }

  private connect(): Promise<Client> {
    if (this.closed) return Promise.reject(this.unavailable(this.closedReason, null));
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    if (this.now() < this.retryAt) return Promise.reject(this.unavailable(this.lastError ?? "reconnecting", null));
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<Client> {
    let built: BuiltTransport;
    try {
      built = buildTransport(this.opts.server, this.opts.ctx);
    } catch (e) {
      this.recordFailure(`cannot start: ${failureCategory(e)}`, "connect_failed", failureDetail(e));
      throw this.unavailable(this.lastError!, null);
    }
    const client: Client = new Client(
      { name: "canopyiq-gateway", version: "0.1.0" },
      {
        // What the gateway relays to its callers (a caller that lacks one answers with an error).
        capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: false } },
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (this.client === client) this.tools = err ? undefined : (tools ?? undefined);
            },
          },
          // Re-listed on the next use: a newcomer is then checked against the names already governed.
          prompts: {
            autoRefresh: false,
            onChanged: () => {
              if (this.client === client) this.offerings.prompts = undefined;
            },
          },
          resources: {
            autoRefresh: false,
            onChanged: () => {
              if (this.client === client) this.offerings = { prompts: this.offerings.prompts };
            },
          },
        },
      },
    );
    this.relayFrom(client);
    client.onclose = () => this.onClosed(client, built);
    try {
      await client.connect(built.transport, { timeout: this.opts.connectTimeoutMs });
    } catch (e) {
      client.onclose = undefined;
      await client.close().catch(() => {});
      const tail = built.stderrTail();
      const exit = built.exitInfo();
      const why = exit ? `the process ${exit}` : failureCategory(e);
      this.recordFailure(`failed to start: ${why}`, "connect_failed", `${failureDetail(e)}${tail ? `; stderr: ${tail}` : ""}`);
      throw this.unavailable(this.lastError!, null);
    }
    if (this.closed) {
      client.onclose = undefined;
      await client.close().catch(() => {});
      throw this.unavailable(this.closedReason, null);
    }
    this.client = client;
    if (this.built && this.built !== built) void this.built.pooled?.close();
    this.built = built;
    built.resetStderr();
    this.tools = undefined;
    this.offerings = {};
    this.lastError = null;
    this.connects++;
    this.opts.onEvent?.({ type: "connected", upstream: this.name, ...(this.opts.tenant !== undefined ? { tenant: this.opts.tenant } : {}) });
    return client;
  }

  /** Server→client traffic of the SDK client (stdio), for the one relayed call in flight. */
  private relayFrom(client: Client) {
    const ask = async (method: string, params: unknown) => {
      const answer = await answerUpstreamRequest(this.inflight.target(method), method, params);
      if ("error" in answer) throw new McpError(answer.error.code, answer.error.message, answer.error.data);
      return answer.result as never;
    };
    client.setRequestHandler(CreateMessageRequestSchema, (req) => ask(req.method, req.params));
    client.setRequestHandler(ElicitRequestSchema, (req) => ask(req.method, req.params));
    client.setRequestHandler(ListRootsRequestSchema, (req) => ask(req.method, req.params));
    // Replaces the SDK's own progress handler: the gateway never passes onprogress (see ProgressRoutes).
    client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      this.progress.route(n.params as Record<string, unknown>);
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      this.inflight.only()?.notify(n.method, n.params as Record<string, unknown>);
    });
  }

  private onClosed(client: Client, built: BuiltTransport) {
    if (this.client !== client) return;
    this.client = undefined;
    this.tools = undefined;
    this.offerings = {};
    const exit = built.exitInfo();
    // A crash explains itself on stderr; a killed process's stderr is only its earlier chatter.
    const tail = exit?.startsWith("was killed") ? "" : built.stderrTail();
    const how = this.opts.server.transport === "stdio" ? `the process ${exit ?? "exited"}` : "the connection closed";
    // Its stderr may name host paths or echo data: the log gets it, callers get the category.
    this.recordFailure(how, "closed", `${how}${tail ? `; stderr: ${tail}` : ""}`);
  }

  private recordFailure(category: string, type: "closed" | "connect_failed", detail: string = category) {
    this.failures++;
    this.lastError = category;
    this.retryAt = this.now() + backoffDelay(this.failures, this.opts.backoff);
    this.opts.onEvent?.({ type, upstream: this.name, detail, ...(this.opts.tenant !== undefined ? { tenant: this.opts.tenant } : {}) });
  }

  /** Drops a connection that failed under us, so the next call opens a fresh one. */
  private drop(client: Client, category: string, detail: string) {
    if (this.client !== client) return;
    this.client = undefined;
    this.tools = undefined;
    this.offerings = {};
    client.onclose = undefined;
    this.recordFailure(category, "closed", detail);
    void client.close().catch(() => {});
  }

  private classify(e: unknown, client: Client, tool: string, timeoutMs: number): Error {
    if (e instanceof McpError) {
      if (e.code === ErrorCode.RequestTimeout) {
        return new UpstreamTimeoutError(`upstream ${this.name} did not answer ${tool} within ${timeoutMs} ms`, this.name, tool, timeoutMs);
      }
      if (e.code === ErrorCode.ConnectionClosed) {
        return new UpstreamUnavailableError(
          `upstream ${this.name} failed during ${tool}: ${this.lastError ?? "the connection closed"}; the next call restarts it`,
          this.name,
          tool,
        );
      }
      if (e.code === MISSING_CLIENT_CAPABILITY_RPC) return new MissingClientCapabilityError(this.name, tool, requiredCapabilitiesOf(e.data));
      const reason = e.message.replace(/^(MCP error -?\d+: )+/, "");
      const shown = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
      return withDetail(new UpstreamCallError(`upstream ${this.name} refused ${tool} (JSON-RPC error ${e.code}): ${shown}`, this.name, tool, e.code), failureDetail(e));
    }
    // Anything else is the transport failing (child gone, HTTP refused, session lost).
    const category = failureCategory(e);
    this.drop(client, category, failureDetail(e));
    return withDetail(new UpstreamUnavailableError(`upstream ${this.name} failed during ${tool}: ${category}; the next call reconnects`, this.name, tool), failureDetail(e));
  }
}
