import { z } from "zod";
import type { UpstreamRow, UpstreamWrite } from "@/lib/db/upstreams";
import { FactMapSchema, type HttpServerConfig, HttpServerSchema, TenantsSchema, TimeoutMsSchema, ToolSettingsSchema } from "./config";
import { type SecretResolver, secretRefs } from "./secrets";

/**
 * Upstreams stored in the database (managed through the admin API) use the shape of one
 * upstreams.yaml server entry, restricted:
 * - HTTP only. A stdio upstream runs a command on the gateway host; letting an API caller pick it
 *   would be remote code execution. Those belong in upstreams.yaml, which only operators edit.
 * - Header secrets are `${UPSTREAM_…}` references. A reference to any other variable would let a
 *   tenant admin send the gateway's own secrets (DATABASE_URL, keys) to a server of their choice.
 * - Aliases stay inside the upstream's own namespace (`tickets.create` for `tickets`), so a
 *   database upstream can never take over a name another upstream or a built-in answers to.
 */

export const DB_SECRET_PREFIX = "UPSTREAM_";

export const STDIO_REFUSED =
  "stdio upstreams cannot be managed through the API: they run a command on the gateway host. Configure them in upstreams.yaml; the admin API manages Streamable HTTP upstreams (transport: http)";

/** The tool_mappings column: the parts of a server entry that have no column of their own. */
export const ToolMappingsSchema = z.strictObject({
  tools: z.record(z.string().min(1), ToolSettingsSchema).optional(),
  facts: FactMapSchema.optional(),
  timeout_ms: TimeoutMsSchema.optional(),
  /** Only for upstreams stored for every tenant (tenant_id null): restricts them to these tenants. */
  tenants: TenantsSchema.optional(),
});

/** An HTTP server entry with the database restrictions above (a ZodError names the field). */
export const DbServerSchema = HttpServerSchema.superRefine((s, ctx) => {
  for (const [k, v] of Object.entries(s.headers)) {
    for (const ref of secretRefs(v)) {
      if (!ref.startsWith(DB_SECRET_PREFIX)) {
        ctx.addIssue({
          code: "custom",
          path: ["headers", k],
          message: `\${${ref}} is not allowed: upstreams managed through the API may only reference secrets named ${DB_SECRET_PREFIX}* (set by the operator in the gateway's environment)`,
        });
      }
    }
  }
  for (const [tool, t] of Object.entries(s.tools)) {
    t.aliases.forEach((a, i) => {
      if (!a.startsWith(`${s.name}.`)) {
        ctx.addIssue({ code: "custom", path: ["tools", tool, "aliases", i], message: `alias ${a} must start with ${s.name}. (the upstream's own namespace)` });
      }
    });
  }
  if (Object.keys(s.path_map).length > 0) ctx.addIssue({ code: "custom", path: ["path_map"], message: "path_map maps gateway-host folders: configure it in upstreams.yaml" });
});

/** Only `${UPSTREAM_…}` resolve for database upstreams, whatever a row written by hand says. */
export function dbSecretResolver(resolve: SecretResolver): SecretResolver {
  return (name) => (name.startsWith(DB_SECRET_PREFIX) ? resolve(name) : undefined);
}

const issuesText = (e: z.ZodError) => e.issues.map((i) => `${i.path.map(String).join(".") || "(row)"}: ${i.message}`).join("; ");

/** A stored row as a server config, or why it cannot be used (the registry skips it). */
export function rowToServer(row: UpstreamRow): { ok: true; server: HttpServerConfig } | { ok: false; problem: string } {
  if (row.transport !== "http" || row.command) return { ok: false, problem: STDIO_REFUSED };
  const mappings = ToolMappingsSchema.safeParse(row.toolMappings ?? {});
  if (!mappings.success) return { ok: false, problem: `tool_mappings ${issuesText(mappings.error)}` };
  if (row.tenantId !== null && mappings.data.tenants) return { ok: false, problem: "tool_mappings.tenants is only for upstreams stored for every tenant" };
  const parsed = DbServerSchema.safeParse({ name: row.name, transport: "http", url: row.url, headers: row.headers ?? {}, enabled: row.enabled, ...mappings.data });
  if (!parsed.success) return { ok: false, problem: issuesText(parsed.error) };
  return { ok: true, server: parsed.data as HttpServerConfig };
}

/** The columns of a tenant's upstream. */
export function serverToWrite(tenantId: string, s: HttpServerConfig): UpstreamWrite {
  const toolMappings: Record<string, unknown> = { tools: s.tools };
  if (s.facts) toolMappings.facts = s.facts;
  if (s.timeout_ms !== undefined) toolMappings.timeout_ms = s.timeout_ms;
  return { tenantId, name: s.name, url: s.url, headers: s.headers, toolMappings, enabled: s.enabled };
}
