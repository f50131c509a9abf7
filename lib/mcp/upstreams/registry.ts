import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { type FactMap, parseUpstreamsConfig, type ServerConfig, type ToolSettings, type UpstreamsConfig } from "./config";
import { type Backoff, type ConnectionOptions, UpstreamConnection, type UpstreamStatus } from "./connection";
import { UnknownToolError } from "./errors";
import { mapPaths } from "./path-map";
import type { SecretResolver } from "./secrets";

/** A tool as agents see it: the exposed name and the upstream tool behind it. */
export interface ExposedTool {
  name: string;
  upstream: string;
  upstreamTool: string;
  title?: string;
  description?: string;
  inputSchema: Tool["inputSchema"];
  outputSchema?: Tool["outputSchema"];
  annotations?: Tool["annotations"];
  /** Fact sources from upstreams.yaml (server level, then tool level); undefined: the policy defaults. */
  facts?: FactMap;
  timeoutMs: number;
}

export interface ListToolsResult {
  tools: ExposedTool[];
  /** Upstreams that could not be listed, and config naming tools an upstream does not have. */
  errors: { upstream: string; message: string }[];
}

export interface CallOptions {
  /** The caller's tenant: upstreams limited to other tenants do not exist for it. */
  tenant?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RegistryOptions {
  /** Relative paths in the config resolve from here (the config file's folder). */
  baseDir: string;
  resolveSecret: SecretResolver;
  defaultTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: Backoff;
  now?: () => number;
  onEvent?: ConnectionOptions["onEvent"];
}

interface Route {
  server: ServerConfig;
  tool: string;
  settings?: ToolSettings;
}

const mergeFacts = (a?: FactMap, b?: FactMap): FactMap | undefined => (a || b ? { ...a, ...b } : undefined);

/** Names under which an upstream tool is exposed (none when hidden). */
function exposedNames(server: ServerConfig, tool: string): string[] {
  const s = server.tools[tool];
  if (s?.hidden) return [];
  const original = `${server.name}.${tool}`;
  if (!s || s.aliases.length === 0) return [original];
  return s.keep_original ? [...s.aliases, original] : [...s.aliases];
}

/**
 * The upstream MCP servers of upstreams.yaml: lazily connected, restarted after failures,
 * their tools merged under `<upstream>.<tool>` and configured aliases.
 */
export class UpstreamRegistry {
  private readonly connections = new Map<string, UpstreamConnection>();
  private readonly servers = new Map<string, ServerConfig>();
  private readonly aliases = new Map<string, Route>();
  private readonly defaultTimeoutMs: number;
  private readonly baseDir: string;

  constructor(
    readonly config: UpstreamsConfig,
    opts: RegistryOptions,
  ) {
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;
    this.baseDir = opts.baseDir;
    for (const server of config.servers) {
      if (!server.enabled) continue;
      this.servers.set(server.name, server);
      // Created at start (and again before each spawn): the filesystem server refuses missing roots.
      if (server.transport === "stdio") for (const d of server.create_dirs) mkdirSync(path.resolve(opts.baseDir, d), { recursive: true });
      this.connections.set(
        server.name,
        new UpstreamConnection({
          server,
          ctx: { baseDir: opts.baseDir, resolveSecret: opts.resolveSecret },
          connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
          backoff: opts.backoff ?? { initialMs: 250, maxMs: 30_000 },
          now: opts.now,
          onEvent: opts.onEvent,
        }),
      );
      for (const [tool, settings] of Object.entries(server.tools)) {
        for (const alias of settings.hidden ? [] : settings.aliases) this.aliases.set(alias, { server, tool, settings });
      }
    }
  }

  /** Reads and validates a config file; relative paths in it resolve from its folder. */
  static fromFile(file: string, opts: Omit<RegistryOptions, "baseDir"> & { baseDir?: string }): UpstreamRegistry {
    const abs = path.resolve(file);
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch (e) {
      throw new Error(`cannot read upstreams config ${abs}: ${(e as Error).message}`);
    }
    return new UpstreamRegistry(parseUpstreamsConfig(text, file), { ...opts, baseDir: opts.baseDir ?? path.dirname(abs) });
  }

  upstreamNames(): string[] {
    return [...this.servers.keys()];
  }

  private visible(server: ServerConfig, tenant: string | undefined): boolean {
    return tenant === undefined || !server.tenants || server.tenants.includes(tenant);
  }

  /**
   * Fact sources per exposed tool name (and `<upstream>.*` for server-wide maps), in the shape of
   * the policy compiler's `facts` option. Static: needs no connection.
   */
  factMaps(): Record<string, FactMap> {
    const out: Record<string, FactMap> = {};
    for (const server of this.servers.values()) {
      if (server.facts) out[`${server.name}.*`] = server.facts;
      for (const [tool, settings] of Object.entries(server.tools)) {
        const merged = mergeFacts(server.facts, settings.facts);
        if (!settings.facts || !merged) continue;
        for (const name of exposedNames(server, tool)) out[name] = merged;
      }
    }
    return out;
  }

  private expose(server: ServerConfig, t: Tool): ExposedTool[] {
    const settings = server.tools[t.name];
    return exposedNames(server, t.name).map((name) => ({
      name,
      upstream: server.name,
      upstreamTool: t.name,
      ...(t.title ? { title: t.title } : {}),
      ...(t.description ? { description: t.description } : {}),
      inputSchema: t.inputSchema,
      ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
      ...(t.annotations ? { annotations: t.annotations } : {}),
      facts: mergeFacts(server.facts, settings?.facts),
      timeoutMs: settings?.timeout_ms ?? server.timeout_ms ?? this.defaultTimeoutMs,
    }));
  }

  /** Every exposed tool of the upstreams the tenant may use. An unavailable upstream is reported, not fatal. */
  async listTools(opts: { tenant?: string } = {}): Promise<ListToolsResult> {
    const servers = [...this.servers.values()].filter((s) => this.visible(s, opts.tenant));
    const listed = await Promise.all(
      servers.map(async (server) => {
        try {
          return { server, tools: await this.connections.get(server.name)!.listTools() };
        } catch (e) {
          return { server, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    const tools: ExposedTool[] = [];
    const errors: ListToolsResult["errors"] = [];
    const taken = new Set<string>();
    for (const entry of listed) {
      if ("error" in entry) {
        errors.push({ upstream: entry.server.name, message: entry.error! });
        continue;
      }
      const names = new Set(entry.tools.map((t) => t.name));
      for (const configured of Object.keys(entry.server.tools)) {
        if (!names.has(configured)) errors.push({ upstream: entry.server.name, message: `upstreams.yaml configures tool ${configured}, which the upstream does not offer` });
      }
      for (const t of entry.tools) {
        for (const exposed of this.expose(entry.server, t)) {
          // An alias may not be shadowed by, nor shadow, another upstream's tool of the same name.
          if (taken.has(exposed.name)) {
            errors.push({ upstream: entry.server.name, message: `tool name ${exposed.name} is exposed twice; the second is hidden` });
            continue;
          }
          taken.add(exposed.name);
          tools.push(exposed);
        }
      }
    }
    return { tools, errors };
  }

  /** The exposed tool behind a name, for this tenant. Throws UnknownToolError or UpstreamUnavailableError. */
  async resolveTool(exposedName: string, opts: { tenant?: string } = {}): Promise<ExposedTool> {
    const route = this.route(exposedName, opts.tenant);
    const tools = await this.connections.get(route.server.name)!.listTools();
    const tool = tools.find((t) => t.name === route.tool);
    if (!tool) throw new UnknownToolError(exposedName, `upstream ${route.server.name} has no tool ${route.tool}`);
    return this.expose(route.server, tool).find((t) => t.name === exposedName)!;
  }

  private route(exposedName: string, tenant: string | undefined): Route {
    const alias = this.aliases.get(exposedName);
    if (alias) {
      if (!this.visible(alias.server, tenant)) throw new UnknownToolError(exposedName);
      return alias;
    }
    const dot = exposedName.indexOf(".");
    const server = dot > 0 ? this.servers.get(exposedName.slice(0, dot)) : undefined;
    if (!server || !this.visible(server, tenant)) throw new UnknownToolError(exposedName);
    const tool = exposedName.slice(dot + 1);
    if (!exposedNames(server, tool).includes(exposedName)) {
      const s = server.tools[tool];
      throw new UnknownToolError(exposedName, s?.hidden ? undefined : `it is exposed as ${s?.aliases.join(", ")}`);
    }
    return { server, tool, settings: server.tools[tool] };
  }

  /**
   * Calls a tool by its exposed name. Returns the upstream's MCP result (tool-level errors are
   * results with isError); throws UnknownToolError, UpstreamUnavailableError,
   * UpstreamTimeoutError or UpstreamCallError.
   */
  async callTool(exposedName: string, args: Record<string, unknown> | undefined, opts: CallOptions = {}): Promise<CallToolResult> {
    const tool = await this.resolveTool(exposedName, { tenant: opts.tenant });
    const server = this.servers.get(tool.upstream)!;
    const mapped = args && Object.keys(server.path_map).length > 0 ? mapPaths(args, tool.facts, server.path_map, this.baseDir) : args;
    return this.connections.get(tool.upstream)!.callTool(tool.upstreamTool, mapped, {
      timeoutMs: opts.timeoutMs ?? tool.timeoutMs,
      signal: opts.signal,
    });
  }

  status(): UpstreamStatus[] {
    return [...this.connections.values()].map((c) => c.status());
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}

