import { LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { UpstreamConfigError } from "./errors";
import { isSensitiveName, secretRefs } from "./secrets";

/**
 * upstreams.yaml: the MCP servers CanopyIQ fronts. Parsed strictly (unknown keys are errors, so a
 * typo does not silently drop a setting) and reported with file:line:col and the key path.
 */

/** Placeholder for the caller's tenant id in per-tenant stdio servers. */
export const TENANT_REF = "${TENANT}";
/** Tenant ids are slugs (lib/access): safe as a folder name, checked again before substituting. */
export const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const UPSTREAM_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/** Namespaces of the gateway's built-in tools (cloud.estimate, aegis.*, ops.*): no upstream may take them. */
export const RESERVED_NAMESPACES = ["cloud", "aegis", "ops", "canopy"] as const;
const EXPOSED_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

const argPath = z.string().min(1);
const oneOrMany = z.union([argPath, z.array(argPath).min(1)]);

/** Which call argument gives each policy fact (same keys as the policy's `facts` maps). */
export const FactMapSchema = z.strictObject({
  host: oneOrMany.optional(),
  method: oneOrMany.optional(),
  path: oneOrMany.optional(),
  body: oneOrMany.optional(),
  amount: oneOrMany.optional(),
  op: oneOrMany.optional(),
  cost: oneOrMany.optional(),
});
export type FactMap = z.infer<typeof FactMapSchema>;

const timeoutMs = z.number().int().min(10).max(3_600_000);
export const TimeoutMsSchema = timeoutMs;

export const ToolSettingsSchema = z.strictObject({
  /** Full exposed names for this tool, e.g. `fs.write` for the filesystem server's `write_file`. */
  aliases: z.array(z.string().regex(EXPOSED_NAME, "expected a dotted tool name such as fs.write")).default([]),
  /**
   * Also expose `<upstream>.<tool>` next to the aliases. Off by default: two names for one tool
   * would let a call under the second name slip past rules written for the first.
   */
  keep_original: z.boolean().default(false),
  /** Hide the tool entirely. */
  hidden: z.boolean().default(false),
  facts: FactMapSchema.optional(),
  timeout_ms: timeoutMs.optional(),
});

export const TenantsSchema = z.array(z.string().min(1)).min(1);

const common = {
  name: z
    .string()
    .regex(UPSTREAM_NAME, "expected a lowercase name such as fs (it prefixes the tool names)")
    .refine((n) => !(RESERVED_NAMESPACES as readonly string[]).includes(n), { error: (iss) => `${String(iss.input)} is reserved for built-in tools` }),
  enabled: z.boolean().default(true),
  /**
   * false: the upstream's tools are exposed under their own names (`echo`, not `everything.echo`),
   * as a transparent proxy would. A name another upstream, an alias or a built-in tool already
   * has is never taken over: the newcomer is hidden and reported (upstreams.yaml only).
   */
  prefix: z.boolean().default(true),
  /** Tenants that may see and call this upstream; absent: every tenant. */
  tenants: TenantsSchema.optional(),
  timeout_ms: timeoutMs.optional(),
  /** Fact sources for every tool of this upstream (a tool's own `facts` win). */
  facts: FactMapSchema.optional(),
  /**
   * Virtual path prefixes agents and policies use, mapped to real folders before forwarding
   * (`/sandbox: .data/sandbox`): policies stay portable and agents never learn host paths.
   */
  path_map: z.record(z.string().regex(/^\/[^\0]*[^/]$/, "expected an absolute path prefix such as /sandbox (no trailing slash)"), z.string().min(1)).default({}),
  tools: z.record(z.string().min(1), ToolSettingsSchema).default({}),
};

const envRecord = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name"), z.string());

export const StdioServerSchema = z
  .strictObject({
    ...common,
    transport: z.literal("stdio"),
    /** An executable (on PATH or a path relative to the config file). */
    command: z.string().min(1).optional(),
    /** Or an installed npm package: its `bin` is run with this Node (no download at runtime). */
    package: z.string().min(1).optional(),
    /** Which of the package's bins, when it has several. */
    bin: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: envRecord.default({}),
    cwd: z.string().min(1).optional(),
    /** Folders created before the server starts (e.g. the filesystem server's sandbox). */
    create_dirs: z.array(z.string().min(1)).default([]),
    /**
     * One process per tenant, started on the tenant's first call: `${TENANT}` in `args`,
     * `create_dirs`, `cwd` and `path_map` values is the caller's tenant id, so each tenant gets
     * its own jail (the filesystem server's allowed folder) and never sees another's.
     */
    per_tenant: z.boolean().default(false),
    /**
     * With per_tenant: at most this many tenant processes run at once; when a new tenant needs
     * one, the least recently used idle process is stopped (restarted on its next call).
     */
    max_processes: z.number().int().min(1).max(1000).optional(),
  })
  .superRefine((s, ctx) => {
    const templated = (v: string | undefined) => v !== undefined && v.includes(TENANT_REF);
    if (s.per_tenant) {
      if (!s.args.some(templated) && !templated(s.cwd)) {
        ctx.addIssue({ code: "custom", path: ["per_tenant"], message: `per_tenant needs ${TENANT_REF} in args or cwd (e.g. args: [".data/sandbox/${TENANT_REF}"]), or every tenant's process would share one folder` });
      }
    } else {
      const where: (string | number)[][] = [
        ...s.args.flatMap((a, i) => (templated(a) ? [["args", i]] : [])),
        ...s.create_dirs.flatMap((d, i) => (templated(d) ? [["create_dirs", i]] : [])),
        ...(templated(s.cwd) ? [["cwd"]] : []),
        ...Object.entries(s.path_map).flatMap(([k, v]) => (templated(v) ? [["path_map", k]] : [])),
      ];
      for (const path of where) ctx.addIssue({ code: "custom", path, message: `${TENANT_REF} is only substituted with per_tenant: true` });
      if (s.max_processes !== undefined) ctx.addIssue({ code: "custom", path: ["max_processes"], message: "max_processes goes with per_tenant: true" });
    }
    for (const [k, v] of Object.entries(s.env)) {
      if (templated(v)) ctx.addIssue({ code: "custom", path: ["env", k], message: `${TENANT_REF} is substituted only in args, create_dirs, cwd and path_map` });
    }
    for (const key of ["command", "package", "bin"] as const) {
      if (templated(s[key])) ctx.addIssue({ code: "custom", path: [key], message: `${TENANT_REF} is substituted only in args, create_dirs, cwd and path_map` });
    }
    if (Boolean(s.command) === Boolean(s.package)) {
      ctx.addIssue({ code: "custom", path: ["command"], message: "set exactly one of `command` or `package`" });
    }
    if (s.bin && !s.package) ctx.addIssue({ code: "custom", path: ["bin"], message: "`bin` goes with `package`" });
    for (const [k, v] of Object.entries(s.env)) {
      if (isSensitiveName(k) && secretRefs(v).length === 0) {
        ctx.addIssue({ code: "custom", path: ["env", k], message: "looks like a credential: write a reference such as ${MY_SECRET}, not the value" });
      }
    }
  });

export const HttpServerSchema = z
  .strictObject({
    ...common,
    transport: z.literal("http"),
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    /** Values may reference secrets as ${NAME}; credential headers must. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "expected an HTTP header name"), z.string()).default({}),
  })
  .superRefine((s, ctx) => {
    for (const [k, v] of Object.entries(s.headers)) {
      if (isSensitiveName(k) && secretRefs(v).length === 0) {
        ctx.addIssue({ code: "custom", path: ["headers", k], message: "credential headers must reference a secret such as ${UPSTREAM_TOKEN}, not hold the value" });
      }
    }
    // Refinements run even when `url` itself failed (zod reports both): parse only a valid one.
    const u = URL.canParse(s.url) ? new URL(s.url) : null;
    if (u && (u.username || u.password)) ctx.addIssue({ code: "custom", path: ["url"], message: "no credentials in the URL: use headers with ${SECRET} references" });
  });

export const ServerSchema = z.discriminatedUnion("transport", [StdioServerSchema, HttpServerSchema], {
  error: "transport must be stdio or http",
});

export const UpstreamsConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    servers: z.array(ServerSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const names = new Map<string, number>();
    const aliases = new Map<string, string>();
    c.servers.forEach((s, i) => {
      const prev = names.get(s.name);
      if (prev !== undefined) ctx.addIssue({ code: "custom", path: ["servers", i, "name"], message: `duplicate upstream name ${s.name} (also servers[${prev}])` });
      names.set(s.name, i);
      for (const [tool, t] of Object.entries(s.tools)) {
        t.aliases.forEach((a, j) => {
          const where = `servers[${i}].tools.${tool}`;
          const other = aliases.get(a);
          if (other) ctx.addIssue({ code: "custom", path: ["servers", i, "tools", tool, "aliases", j], message: `alias ${a} is already used by ${other}` });
          aliases.set(a, where);
        });
      }
    });
  });

export type UpstreamsConfig = z.infer<typeof UpstreamsConfigSchema>;
export type ServerConfig = z.infer<typeof ServerSchema>;
export type StdioServerConfig = z.infer<typeof StdioServerSchema>;
export type HttpServerConfig = z.infer<typeof HttpServerSchema>;
export type ToolSettings = z.infer<typeof ToolSettingsSchema>;

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out || "(top level)";
}

/** Line and column of the deepest existing node on `path`. */
function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return `${line}:${col}`;
    }
  }
  return "1:1";
}

/** Parses and validates upstreams.yaml text. Throws UpstreamConfigError listing every problem. */
export function parseUpstreamsConfig(text: string, file = "upstreams.yaml"): UpstreamsConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new UpstreamConfigError(
      doc.errors.map((e) => {
        const { line, col } = lc.linePos(e.pos[0]);
        return `${file}:${line}:${col}: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const raw = doc.toJS() ?? {};
  const result = UpstreamsConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new UpstreamConfigError(result.error.issues.map((i) => `${file}:${locate(doc, lc, i.path)} ${pathText(i.path)}: ${i.message}`));
}
