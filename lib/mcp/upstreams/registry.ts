import { mkdirSync, readFileSync } from "node:fs";
import type { ToolCallRound } from "@/lib/enforce/types";
import type { CallRelay } from "../relay/types";
import path from "node:path";
import { Agent } from "undici";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { UpstreamRow } from "@/lib/db/upstreams";
import { type FactMap, parseUpstreamsConfig, RESERVED_NAMESPACES, type ServerConfig, TENANT_REF, type ToolSettings, type UpstreamsConfig } from "./config";
import { type Backoff, type ConnectionOptions, type OfferingKind, type Offerings, UpstreamConnection, type UpstreamStatus } from "./connection";
import { UpstreamCatalog, type UpstreamHandle } from "./catalog";
import { dbSecretResolver, rowToServer } from "./db-config";
import { UnknownToolError, UpstreamError, UpstreamUnavailableError } from "./errors";
import { type AddressPolicy, type FetchLike, guardedFetch, type Resolver } from "./network-guard";
import { hostPathScrubber, mapPaths, unmapPathsInResult } from "./path-map";
import type { SecretResolver } from "./secrets";
import { passThroughToolFields } from "./tool-fields";
import { serverForTenant, TenantPool } from "./tenant-pool";

/** A tool as agents see it: the exposed name and the upstream tool behind it. */
export interface ExposedTool {
  name: string;
  upstream: string;
  upstreamTool: string;
  title?: string;
  description?: string;
  inputSchema: Tool["inputSchema"];
  outputSchema?: Tool["outputSchema"];
  /** Hints from the upstream, passed on as they are: agents must treat them as untrusted. */
  annotations?: Tool["annotations"];
  icons?: Tool["icons"];
  execution?: Tool["execution"];
  _meta?: Tool["_meta"];
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
  /** The gateway's trace id, logged with the detail of a failure the caller sees only summarized. */
  traceId?: string;
  /** MCP 2026-07-28: this round of a multi round-trip call (lib/enforce/types). */
  round?: ToolCallRound;
  /** The caller's stream: the upstream's progress, logs and requests for this call go there. */
  relay?: CallRelay;
}

/** Where admin-managed upstreams come from (the upstream_servers table in production). */
export interface DbUpstreamSource {
  load(): Promise<UpstreamRow[]>;
  /** Rows are re-read at most this often (on use; a change made in this process reloads at once). Default 3 s. */
  reloadMs?: number;
  /** A load slower than this is abandoned and the previous rows stay in use. Default 2 s. */
  timeoutMs?: number;
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
  /** Admin-managed (HTTP) upstreams, merged with the file's. */
  db?: DbUpstreamSource;
  /** A database load failed, or a stored upstream is unusable (skipped). */
  onDbProblem?: (problem: { tenant: string | null; name: string | null; message: string }) => void;
  /**
   * Which addresses admin-managed (database) upstreams may connect to, checked on every
   * connection they open (DNS rebinding cannot reach loopback). Absent: unchecked (tests).
   * Upstreams of the file are the operator's and are not checked.
   */
  network?: { policy: AddressPolicy; resolve?: Resolver };
}

export type UpstreamSource = "file" | "db";

/** A connection's status with where the upstream is defined and, for database upstreams, whose it is. */
export interface RegistryStatus extends UpstreamStatus {
  source: UpstreamSource;
  /** The owning tenant of a database upstream; null: a file upstream or one stored for every tenant. */
  tenant: string | null;
}

/** A stored upstream the registry does not run, and why. */
export interface DbProblem {
  tenant: string | null;
  name: string;
  message: string;
}

interface Entry {
  source: UpstreamSource;
  /** Database upstreams: the owner (null: every tenant, narrowed by server.tenants). */
  tenant: string | null;
  server: ServerConfig;
  /** One shared session; or, for a `per_tenant` stdio server, one process per tenant. */
  connection?: UpstreamConnection;
  pool?: TenantPool;
  fingerprint: string;
}

/** The connection that serves one caller, and its server entry (per-tenant: `${TENANT}` resolved). */
interface Lease {
  connection: UpstreamConnection;
  server: ServerConfig;
}

interface Route {
  entry: Entry;
  tool: string;
  settings?: ToolSettings;
}

interface DbSnapshot {
  /** Keyed by `<tenant or *>/<name>`. */
  entries: Map<string, Entry>;
  problems: DbProblem[];
}

const closeEntry = (e: Entry, reason?: string) => (e.pool ? e.pool.close() : e.connection!.close(reason));

const mergeFacts = (a?: FactMap, b?: FactMap): FactMap | undefined => (a || b ? { ...a, ...b } : undefined);
const dbKey = (tenant: string | null, name: string) => `${tenant ?? "*"}/${name}`;

/** Names under which an upstream tool is exposed (none when hidden). */
function exposedNames(server: ServerConfig, tool: string): string[] {
  const s = server.tools[tool];
  if (s?.hidden) return [];
  const original = server.prefix === false ? tool : `${server.name}.${tool}`;
  if (!s || s.aliases.length === 0) return [original];
  return s.keep_original ? [...s.aliases, original] : [...s.aliases];
}

/** A tool that only runs as a task (MCP tasks): a plain tools/call of it cannot succeed, and tasks are not relayed. */
const needsTasks = (t: Tool) => t.execution?.taskSupport === "required";

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The upstream MCP servers of upstreams.yaml and of the database (admin-managed, HTTP only):
 * lazily connected, restarted after failures, their tools merged under `<upstream>.<tool>` and
 * configured aliases. A database upstream stored for one tenant exists only for that tenant.
 */
export class UpstreamRegistry {
  private readonly files = new Map<string, Entry>();
  private readonly fileAliases = new Map<string, Route>();
  /** Namespaces the file claims: its upstream names and the first segment of its aliases. */
  private readonly fileNamespaces = new Map<string, string>();
  private db: DbSnapshot = { entries: new Map(), problems: [] };
  private dbLoadedAt: number | undefined;
  private dbError: string | null = null;
  private reloading?: Promise<void>;
  private closed = false;
  private readonly defaultTimeoutMs: number;
  private readonly baseDir: string;
  private readonly now: () => number;
  /** Resources, resource templates and prompts of the upstreams: exposed names, claims, routing. */
  readonly catalog: UpstreamCatalog;

  constructor(
    readonly config: UpstreamsConfig,
    private readonly opts: RegistryOptions,
  ) {
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 30_000;
    this.baseDir = opts.baseDir;
    this.now = opts.now ?? Date.now;
    this.catalog = new UpstreamCatalog({ handles: (tenant) => this.handles(tenant), namespaceClaim: (name) => this.namespaceClaim(name) }, (e) => this.opts.onEvent?.(e));
    for (const server of config.servers) {
      this.fileNamespaces.set(server.name, `upstream ${server.name}`);
      for (const [tool, settings] of Object.entries(server.tools)) {
        for (const alias of settings.aliases) {
          const ns = alias.slice(0, alias.indexOf("."));
          if (!this.fileNamespaces.has(ns)) this.fileNamespaces.set(ns, `alias ${alias} of upstream ${server.name} (tool ${tool})`);
        }
      }
      if (!server.enabled) continue;
      // Created at start (and again before each spawn): the filesystem server refuses missing roots.
      // A tenant's own folders are created when its process first starts.
      if (server.transport === "stdio") for (const d of server.create_dirs) if (!d.includes(TENANT_REF)) mkdirSync(path.resolve(opts.baseDir, d), { recursive: true });
      const entry = this.entry("file", null, server, opts.resolveSecret);
      this.files.set(server.name, entry);
      for (const [tool, settings] of Object.entries(server.tools)) {
        for (const alias of settings.hidden ? [] : settings.aliases) this.fileAliases.set(alias, { entry, tool, settings });
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

  private entry(source: UpstreamSource, tenant: string | null, server: ServerConfig, resolveSecret: SecretResolver): Entry {
    // Every connection to an admin-managed upstream goes through the address check.
    const fetch = source === "db" ? this.guardedFetch() : undefined;
    // Tool calls share keep-alive sockets; admin-managed upstreams only through the guarded agent.
    const dispatcher = server.transport !== "http" ? undefined : source === "db" ? (this.guarded?.dispatcher ?? this.plainAgent()) : this.plainAgent();
    const connect = (s: ServerConfig, forTenant?: string) =>
      new UpstreamConnection({
        server: s,
        ctx: { baseDir: this.opts.baseDir, resolveSecret, ...(fetch ? { fetch } : {}), ...(dispatcher ? { dispatcher } : {}) },
        connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
        backoff: this.opts.backoff ?? { initialMs: 250, maxMs: 30_000 },
        now: this.opts.now,
        onEvent: this.opts.onEvent,
        ...(forTenant !== undefined ? { tenant: forTenant } : {}),
      });
    const base = { source, tenant, server, fingerprint: JSON.stringify([tenant, server]) };
    if (server.transport === "stdio" && server.per_tenant) return { ...base, pool: new TenantPool(server, (s, t) => connect(s, t)) };
    return { ...base, connection: connect(server) };
  }

  private guarded?: { fetch: FetchLike; dispatcher: Agent; close: () => Promise<void> };
  private plain?: Agent;

  /** Keep-alive sockets for the file's (operator-configured) HTTP upstreams. */
  private plainAgent(): Agent {
    this.plain ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
    return this.plain;
  }

  private guardedFetch(): FetchLike | undefined {
    const network = this.opts.network;
    if (!network) return undefined;
    this.guarded ??= guardedFetch(network.policy, network.resolve);
    return this.guarded.fetch;
  }

  /** Runs `fn` on the connection that serves `tenant` (a per-tenant server's process is started lazily). */
  private lease<T>(entry: Entry, tenant: string | undefined, fn: (lease: Lease) => Promise<T>): Promise<T> {
    if (entry.pool) return entry.pool.use(tenant, fn);
    return fn({ connection: entry.connection!, server: entry.server });
  }

  private scrubbers = new WeakMap<ServerConfig, (text: string) => string>();

  /** The scrubber for a failure that happened before a connection was leased (e.g. listing tools). */
  private scrubberFor(entry: Entry, tenant: string | undefined): ((text: string) => string) | undefined {
    if (!entry.pool) return this.scrubber(entry.server, entry.server);
    if (tenant === undefined) return undefined;
    try {
      return this.scrubber(serverForTenant(entry.pool.template, tenant), entry.server);
    } catch {
      return undefined;
    }
  }

  /**
   * Hides host paths in what a local (stdio) upstream says: real folders shown as their virtual
   * prefixes, anything else under the config's folder or a per-tenant jail's parent hidden.
   * Built on first use, when the folders exist (symlinks resolved).
   */
  private scrubber(server: ServerConfig, template: ServerConfig): ((text: string) => string) | undefined {
    const hasMap = Object.keys(server.path_map).length > 0;
    if (server.transport !== "stdio" && !hasMap) return undefined;
    let scrub = this.scrubbers.get(server);
    if (!scrub) {
      const roots: string[] = [];
      if (server.transport === "stdio" && template.transport === "stdio") {
        roots.push(".", server.cwd ?? ".");
        // Another tenant's jail has no virtual name for this caller: hide everything under the parent.
        for (const v of [...template.args, ...template.create_dirs, ...(template.cwd ? [template.cwd] : []), ...Object.values(template.path_map)]) {
          const at = v.indexOf(TENANT_REF);
          if (at < 0) continue;
          const before = v.slice(0, at);
          roots.push(before.endsWith("/") ? before : path.dirname(before));
        }
      }
      scrub = hostPathScrubber({ map: server.path_map, baseDir: this.baseDir, roots });
      this.scrubbers.set(server, scrub);
    }
    return scrub;
  }

  /**
   * Why a database upstream may not take this name: a file upstream has it, or a file alias
   * lives in that namespace. undefined: free as far as the file is concerned.
   */
  fileClaim(name: string): string | undefined {
    return this.fileNamespaces.get(name);
  }

  // --- database upstreams --------------------------------------------------------------------

  /** Re-reads the database upstreams now (after a change made in this process). Never rejects. */
  refresh(): Promise<void> {
    if (!this.opts.db || this.closed) return Promise.resolve();
    // Chained: a refresh asked for during a load must see writes made after that load began.
    const run: Promise<void> = (this.reloading ?? Promise.resolve())
      .then(() => this.loadDb())
      .catch((e: unknown) => {
        this.dbError = `database upstreams could not be applied: ${e instanceof Error ? e.message : String(e)}`;
        this.dbLoadedAt = this.now();
      });
    this.reloading = run;
    void run.finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    return run;
  }

  /** Loads the database upstreams when never loaded or older than the reload interval. */
  private async fresh(): Promise<void> {
    const src = this.opts.db;
    if (!src || this.closed) return;
    if (this.dbLoadedAt !== undefined && this.now() - this.dbLoadedAt < (src.reloadMs ?? 3_000)) return;
    await (this.reloading ?? this.refresh());
  }

  private async loadDb(): Promise<void> {
    const src = this.opts.db!;
    let rows: UpstreamRow[];
    try {
      rows = await withTimeout(src.load(), src.timeoutMs ?? 2_000, "the database");
    } catch (e) {
      // Keep the previous upstreams: a database hiccup must not cut agents off their tools.
      this.dbError = `database upstreams could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
      this.dbLoadedAt = this.now();
      this.opts.onDbProblem?.({ tenant: null, name: null, message: this.dbError });
      return;
    }
    if (this.closed) return;
    const prev = this.db.entries;
    const next = new Map<string, Entry>();
    const problems: DbProblem[] = [];
    const problem = (row: UpstreamRow, message: string) => {
      problems.push({ tenant: row.tenantId, name: row.name, message });
      if (!this.db.problems.some((p) => p.tenant === row.tenantId && p.name === row.name && p.message === message)) {
        this.opts.onDbProblem?.({ tenant: row.tenantId, name: row.name, message });
      }
    };
    // Upstreams stored for every tenant first: a tenant's own may not shadow them.
    const ordered = [...rows].sort((a, b) => Number(a.tenantId !== null) - Number(b.tenantId !== null));
    for (const row of ordered) {
      if (!row.enabled) continue;
      const parsed = rowToServer(row);
      if (!parsed.ok) {
        problem(row, parsed.problem);
        continue;
      }
      const claim = this.fileClaim(row.name);
      if (claim) {
        problem(row, `the name ${row.name} is taken by ${claim} in upstreams.yaml`);
        continue;
      }
      if (row.tenantId !== null && next.has(dbKey(null, row.name))) {
        problem(row, `the name ${row.name} is taken by an upstream stored for every tenant`);
        continue;
      }
      const key = dbKey(row.tenantId, row.name);
      const candidate = JSON.stringify([row.tenantId, parsed.server]);
      const old = prev.get(key);
      // Unchanged: keep the entry and its (possibly healthy, connected) session.
      next.set(key, old && old.fingerprint === candidate ? old : this.entry("db", row.tenantId, parsed.server, dbSecretResolver(this.opts.resolveSecret)));
    }
    this.db = { entries: next, problems };
    this.dbError = null;
    this.dbLoadedAt = this.now();
    for (const [key, old] of prev) {
      if (next.get(key) !== old) void closeEntry(old, next.has(key) ? "its configuration changed" : "it was removed or disabled");
    }
  }

  /** The database side's state: when last loaded, the last load error, unusable stored upstreams. */
  dbState(): { enabled: boolean; loadedAt: string | null; error: string | null; problems: DbProblem[] } {
    return {
      enabled: Boolean(this.opts.db),
      loadedAt: this.dbLoadedAt === undefined ? null : new Date(this.dbLoadedAt).toISOString(),
      error: this.dbError,
      problems: [...this.db.problems],
    };
  }

  // --- visibility ----------------------------------------------------------------------------

  private visible(entry: Entry, tenant: string | undefined): boolean {
    if (entry.tenant !== null) return entry.tenant === tenant;
    return tenant === undefined || !entry.server.tenants || entry.server.tenants.includes(tenant);
  }

  /** Every upstream the tenant may use (without a tenant: all but those stored for one tenant). */
  private entries(tenant: string | undefined): Entry[] {
    const out: Entry[] = [];
    for (const e of this.files.values()) if (this.visible(e, tenant)) out.push(e);
    for (const e of this.db.entries.values()) if (this.visible(e, tenant)) out.push(e);
    return out;
  }

  private byName(name: string, tenant: string | undefined): Entry | undefined {
    const candidates = [this.files.get(name), tenant === undefined ? undefined : this.db.entries.get(dbKey(tenant, name)), this.db.entries.get(dbKey(null, name))];
    return candidates.find((e): e is Entry => e !== undefined && this.visible(e, tenant));
  }

  /** Names of the upstreams the tenant may use. */
  upstreamNames(opts: { tenant?: string } = {}): string[] {
    return this.entries(opts.tenant).map((e) => e.server.name);
  }

  /**
   * Fact sources per exposed tool name (and `<upstream>.*` for server-wide maps), in the shape of
   * the policy compiler's `facts` option. Needs no connection; database upstreams as last loaded.
   */
  factMaps(opts: { tenant?: string } = {}): Record<string, FactMap> {
    const out: Record<string, FactMap> = {};
    for (const { server } of this.entries(opts.tenant)) {
      // A server-wide map needs a namespace to match; an unprefixed upstream's tools take tool-level maps.
      if (server.facts && server.prefix !== false) out[`${server.name}.*`] = server.facts;
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
      ...passThroughToolFields(t),
      facts: mergeFacts(server.facts, settings?.facts),
      timeoutMs: settings?.timeout_ms ?? server.timeout_ms ?? this.defaultTimeoutMs,
    }));
  }

  /** Every upstream the tenant may use, as the catalog of resources and prompts works on them. */
  async handles(tenant: string | undefined): Promise<UpstreamHandle[]> {
    await this.fresh();
    return this.entries(tenant).map((entry) => this.handle(entry, tenant));
  }

  private handle(entry: Entry, tenant: string | undefined): UpstreamHandle {
    const server = entry.server;
    return {
      key: `${entry.source}/${entry.tenant ?? "*"}/${server.name}`,
      name: server.name,
      prefixed: server.prefix !== false,
      timeoutMs: server.timeout_ms ?? this.defaultTimeoutMs,
      capabilities: () => this.lease(entry, tenant, (l) => l.connection.capabilities()),
      // A local upstream's listings and answers may name host paths: shown as their virtual names, or hidden.
      list: <K extends OfferingKind>(kind: K): Promise<Offerings[K]> => this.lease(entry, tenant, async (l) => this.scrubbed(await l.connection.list(kind), l.server, server)),
      request: async <T>(method: string, params: Record<string, unknown>, schema: z.ZodType<T>, opts: CallOptions & { what: string }): Promise<T> => {
        try {
          return await this.lease(entry, tenant, async (l) => this.scrubbed(await l.connection.request(method, params, schema, { timeoutMs: opts.timeoutMs ?? server.timeout_ms ?? this.defaultTimeoutMs, signal: opts.signal }), l.server, server));
        } catch (e) {
          if (opts.signal?.aborted && e === opts.signal.reason) throw e;
          throw this.failure(e, opts.what, entry, this.scrubberFor(entry, tenant), { ...opts, tenant });
        }
      },
    };
  }

  private scrubbed<T>(value: T, leased: ServerConfig, template: ServerConfig): T {
    const scrub = this.scrubber(leased, template);
    return scrub ? unmapPathsInResult(value, scrub) : value;
  }

  /** Every exposed tool of the upstreams the tenant may use. An unavailable upstream is reported, not fatal. */
  async listTools(opts: { tenant?: string } = {}): Promise<ListToolsResult> {
    await this.fresh();
    const listed = await Promise.all(
      this.entries(opts.tenant).map(async (entry) => {
        try {
          return { entry, tools: await this.lease(entry, opts.tenant, (l) => l.connection.listTools()) };
        } catch (e) {
          return { entry, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    const tools: ExposedTool[] = [];
    const errors: ListToolsResult["errors"] = [];
    const taken = new Set<string>();
    // Prefixed upstreams first: their names (and aliases) are never given up to an unprefixed one.
    listed.sort((a, b) => Number(a.entry.server.prefix === false) - Number(b.entry.server.prefix === false));
    for (const item of listed) {
      const server = item.entry.server;
      if ("error" in item) {
        errors.push({ upstream: server.name, message: item.error! });
        continue;
      }
      const names = new Set(item.tools.map((t) => t.name));
      const where = item.entry.source === "file" ? "upstreams.yaml" : "the upstream's stored configuration";
      for (const configured of Object.keys(server.tools)) {
        if (!names.has(configured)) errors.push({ upstream: server.name, message: `${where} configures tool ${configured}, which the upstream does not offer` });
      }
      if (server.prefix === false) this.claimAll(item.entry, item.tools);
      for (const t of item.tools) {
        if (needsTasks(t)) {
          errors.push({ upstream: server.name, message: `tool ${t.name} is hidden: it can only be called as a task (execution.taskSupport: required), and the gateway does not relay tasks` });
          continue;
        }
        for (const exposed of this.expose(server, t)) {
          const refused = server.prefix === false && exposed.name === t.name ? this.bareRefusal(item.entry, t.name, opts.tenant) : null;
          if (refused) {
            errors.push({ upstream: server.name, message: refused });
            continue;
          }
          // An alias may not be shadowed by, nor shadow, another upstream's tool of the same name.
          if (taken.has(exposed.name)) {
            errors.push({ upstream: server.name, message: `tool name ${exposed.name} is exposed twice; the second is hidden` });
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
    return (await this.resolve(exposedName, opts.tenant)).tool;
  }

  /** Which entry first offered each bare name (unprefixed upstreams): it keeps the name for the process's life. */
  private readonly bareOwners = new Map<string, Entry>();
  private readonly reportedBare = new Set<string>();

  /** Claims, in order, the bare names of an unprefixed upstream's listing that nobody holds yet. */
  private claimAll(entry: Entry, tools: Tool[]): void {
    for (const t of tools) {
      if (!this.bareOwners.has(t.name) && !this.namespaceClaim(t.name)) this.bareOwners.set(t.name, entry);
    }
  }

  /** What a dotted bare name would shadow: a file or database upstream's namespace, or a built-in one. */
  private namespaceClaim(name: string): string | undefined {
    const dot = name.indexOf(".");
    if (dot <= 0) return undefined;
    const ns = name.slice(0, dot);
    if ((RESERVED_NAMESPACES as readonly string[]).includes(ns)) return `the built-in namespace ${ns}`;
    const file = this.fileNamespaces.get(ns);
    if (file && this.files.get(ns)?.server.prefix !== false) return file;
    for (const e of this.db.entries.values()) if (e.server.name === ns) return `the stored upstream ${ns}`;
    return undefined;
  }

  /**
   * Why an unprefixed upstream may not expose `name` as is (null: it may): another upstream
   * offered it first, or it lies in a namespace that is governed under another upstream's name.
   * Reported once per upstream and name (the server log), and hidden every time.
   */
  private bareRefusal(entry: Entry, name: string, tenant: string | undefined): string | null {
    const ns = this.namespaceClaim(name);
    const owner = this.bareOwners.get(name);
    const why = ns ? `it lies in the namespace of ${ns}` : owner && owner !== entry ? `upstream ${owner.server.name} offered it first` : null;
    if (!why) return null;
    const message = `tool ${name} of upstream ${entry.server.name} is hidden: ${why} (an unprefixed upstream never takes over a name)`;
    // Once per tenant: each tenant's audit log records what was hidden from it.
    const key = `${tenant ?? "*"}\0${entry.server.name}\0${name}`;
    if (!this.reportedBare.has(key) && this.reportedBare.size < 10_000) {
      this.reportedBare.add(key);
      this.opts.onEvent?.({ type: "tool_hidden", upstream: entry.server.name, detail: message, name, ...(tenant !== undefined ? { tenant } : {}) });
    }
    return message;
  }

  /** The unprefixed upstream that holds `name`, listing them in order until one does. */
  private async bareRoute(name: string, tenant: string | undefined): Promise<Route | undefined> {
    for (const entry of this.entries(tenant)) {
      if (entry.server.prefix !== false) continue;
      let tools: Tool[];
      try {
        tools = await this.lease(entry, tenant, (l) => l.connection.listTools());
      } catch {
        continue; // unreachable now: it cannot hold the name for this call
      }
      this.claimAll(entry, tools);
      if (this.bareOwners.get(name) !== entry || this.bareRefusal(entry, name, tenant)) continue;
      if (!exposedNames(entry.server, name).includes(name)) continue;
      return { entry, tool: name, settings: entry.server.tools[name] };
    }
    return undefined;
  }

  private async resolve(exposedName: string, tenant: string | undefined): Promise<{ tool: ExposedTool; entry: Entry }> {
    await this.fresh();
    let route: Route;
    try {
      route = this.route(exposedName, tenant);
    } catch (e) {
      if (!(e instanceof UnknownToolError)) throw e;
      const bare = await this.bareRoute(exposedName, tenant);
      if (!bare) throw e;
      route = bare;
    }
    const tools = await this.lease(route.entry, tenant, (l) => l.connection.listTools());
    const tool = tools.find((t) => t.name === route.tool);
    if (!tool) throw new UnknownToolError(exposedName, `upstream ${route.entry.server.name} has no tool ${route.tool}`);
    if (needsTasks(tool)) throw new UnknownToolError(exposedName, "it can only be called as a task, which the gateway does not relay");
    return { tool: this.expose(route.entry.server, tool).find((t) => t.name === exposedName)!, entry: route.entry };
  }

  private route(exposedName: string, tenant: string | undefined): Route {
    const alias = this.fileAliases.get(exposedName);
    if (alias) {
      if (!this.visible(alias.entry, tenant)) throw new UnknownToolError(exposedName);
      return alias;
    }
    const dot = exposedName.indexOf(".");
    const entry = dot > 0 ? this.byName(exposedName.slice(0, dot), tenant) : undefined;
    if (!entry || entry.server.prefix === false) throw new UnknownToolError(exposedName);
    const server = entry.server;
    if (entry.source === "db") {
      // Database upstreams keep their aliases inside their own namespace (db-config.ts).
      for (const [tool, settings] of Object.entries(server.tools)) {
        if (!settings.hidden && settings.aliases.includes(exposedName)) return { entry, tool, settings };
      }
    }
    const tool = exposedName.slice(dot + 1);
    if (!exposedNames(server, tool).includes(exposedName)) {
      const s = server.tools[tool];
      throw new UnknownToolError(exposedName, s?.hidden ? undefined : `it is exposed as ${s?.aliases.join(", ")}`);
    }
    return { entry, tool, settings: server.tools[tool] };
  }

  /**
   * Calls a tool by its exposed name. Returns the upstream's MCP result (tool-level errors are
   * results with isError); throws UnknownToolError, UpstreamUnavailableError,
   * UpstreamTimeoutError or UpstreamCallError.
   */
  async callTool(exposedName: string, args: Record<string, unknown> | undefined, opts: CallOptions = {}): Promise<CallToolResult> {
    let upstream: Entry | undefined;
    let scrub: ((text: string) => string) | undefined;
    try {
      const { tool, entry } = await this.resolve(exposedName, opts.tenant);
      upstream = entry;
      return await this.lease(entry, opts.tenant, async ({ connection, server }) => {
        scrub = this.scrubber(server, entry.server);
        const hasMap = Object.keys(server.path_map).length > 0;
        const mapped = args && hasMap ? mapPaths(args, tool.facts, server.path_map, this.baseDir) : args;
        const result = await connection.callTool(tool.upstreamTool, mapped, {
          timeoutMs: opts.timeoutMs ?? tool.timeoutMs,
          signal: opts.signal,
          ...(opts.round ? { round: opts.round } : {}),
          relay: opts.relay,
        });
        return scrub ? unmapPathsInResult(result, scrub) : result;
      });
    } catch (e) {
      // The caller's own abort reason is theirs to see as it is.
      if (opts.signal?.aborted && e === opts.signal.reason) throw e;
      throw this.failure(e, exposedName, upstream, scrub ?? (upstream && this.scrubberFor(upstream, opts.tenant)), opts);
    }
  }

  /**
   * What the caller is told about a failed call: the upstream, the category and no host path or
   * remote text (UpstreamError messages are built that way); anything unexpected becomes a generic
   * UpstreamUnavailableError. The detail goes to the server log with the trace id.
   */
  private failure(e: unknown, exposedName: string, entry: Entry | undefined, scrub: ((text: string) => string) | undefined, opts: CallOptions): Error {
    const upstream = entry?.server.name ?? null;
    const detail = e instanceof UpstreamError ? (e.detail ?? e.message) : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (!(e instanceof UnknownToolError)) {
      this.opts.onEvent?.({ type: "call_failed", upstream: upstream ?? exposedName, detail, ...(opts.tenant ? { tenant: opts.tenant } : {}), ...(opts.traceId ? { traceId: opts.traceId } : {}) });
    }
    if (e instanceof UpstreamError) {
      if (scrub) e.message = scrub(e.message);
      return e;
    }
    const name = upstream ?? exposedName;
    return new UpstreamUnavailableError(`upstream ${name} failed during ${exposedName}: an unexpected error (details in the gateway log)`, name, exposedName);
  }

  /**
   * Connection status of every running upstream (of those the tenant may use, when given). A
   * per-tenant server shows the tenant's own process only (without a tenant: every process).
   */
  status(opts: { tenant?: string } = {}): RegistryStatus[] {
    const all = [...this.files.values(), ...this.db.entries.values()];
    const shown = opts.tenant !== undefined ? all.filter((e) => this.visible(e, opts.tenant)) : all;
    return shown.flatMap((e) =>
      e.pool ? e.pool.status(opts.tenant).map((s) => ({ ...s, source: e.source, tenant: e.tenant })) : [{ ...e.connection!.status(), source: e.source, tenant: e.tenant }],
    );
  }

  /** Tenants whose process of a per-tenant upstream is running (least recently used first). */
  tenantProcesses(name: string): string[] {
    return this.files.get(name)?.pool?.tenants() ?? [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reloading?.catch(() => {});
    await Promise.all([...this.files.values(), ...this.db.entries.values()].map((e) => closeEntry(e)));
    await this.guarded?.close();
    await this.plain?.destroy().catch(() => {});
  }
}
