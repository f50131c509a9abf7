import { z } from "zod";
import { badRequest } from "@/lib/errors";
import { FactMapSchema, type HttpServerConfig, TimeoutMsSchema, ToolSettingsSchema } from "./config";
import { DbServerSchema, STDIO_REFUSED } from "./db-config";

/** Shapes of /api/admin/upstreams: the same zod schemas parse the requests and document them. */

/** PUT /api/admin/upstreams/{name}: one upstreams.yaml server entry, HTTP only, name from the path. */
export const UpstreamPutBodySchema = z.strictObject({
  /** Optional; when given it must be the path's name. */
  name: z.string().optional(),
  transport: z.literal("http", { error: STDIO_REFUSED }),
  url: z.string().min(1).meta({ description: "http(s) URL of the Streamable HTTP endpoint; no credentials in it" }),
  headers: z.record(z.string(), z.string()).optional().meta({ description: "values may reference secrets as ${UPSTREAM_NAME}; credential headers must" }),
  tools: z.record(z.string().min(1), ToolSettingsSchema).optional(),
  facts: FactMapSchema.optional(),
  timeout_ms: TimeoutMsSchema.optional(),
  enabled: z.boolean().optional(),
});
export type UpstreamPutBody = z.infer<typeof UpstreamPutBodySchema>;

/** Optional `?tenant=`: must be the caller's own tenant. */
export const UpstreamQuerySchema = z.object({ tenant: z.string().min(1).optional() });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The validated server entry of a PUT. stdio is refused before anything else (a clear 400, not
 * a list of unknown keys); the rest are zod errors naming the field (400 validation_error).
 */
export function parseUpstreamPut(name: string, raw: unknown): HttpServerConfig {
  if (isObject(raw) && (raw.transport === "stdio" || ["command", "package", "bin", "args", "env", "cwd", "create_dirs"].some((k) => k in raw))) {
    throw badRequest(STDIO_REFUSED);
  }
  const body = UpstreamPutBodySchema.parse(raw);
  if (body.name !== undefined && body.name !== name) throw badRequest(`the body names upstream ${body.name} but the path names ${name}`);
  const { name: _ignored, ...rest } = body;
  return DbServerSchema.parse({ ...rest, name }) as HttpServerConfig;
}

const statusSchema = z.object({
  state: z.enum(["idle", "connecting", "ready", "backoff", "closed"]),
  restarts: z.number().int(),
  consecutive_failures: z.number().int(),
  last_error: z.string().nullable(),
  retry_at: z.string().nullable(),
});

export const UpstreamViewSchema = z.object({
  name: z.string(),
  /** file: upstreams.yaml (read-only here); db: managed through this API. */
  source: z.enum(["file", "db"]),
  /** Owner of a database upstream; null: a file upstream or one stored for every tenant. */
  tenant: z.string().nullable(),
  /** Whether the caller may PUT or DELETE it (the tenant's own database upstreams). */
  editable: z.boolean(),
  transport: z.enum(["stdio", "http"]),
  enabled: z.boolean(),
  url: z.string().optional(),
  /** As configured: secrets appear as ${NAME} references, never values. */
  headers: z.record(z.string(), z.string()).optional(),
  tools: z.record(z.string(), ToolSettingsSchema),
  facts: FactMapSchema.optional(),
  timeout_ms: z.number().int().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  /** Live connection state; null when not running (disabled, or skipped: see problem). */
  status: statusSchema.nullable(),
  /** Why a stored upstream is not running although enabled. */
  problem: z.string().nullable(),
});
export type UpstreamView = z.infer<typeof UpstreamViewSchema>;

export const UpstreamListSchema = z.object({
  upstreams: z.array(UpstreamViewSchema),
  database: z.object({ loaded_at: z.string().nullable(), error: z.string().nullable() }),
});

export const UpstreamPutResponseSchema = z.object({ created: z.boolean(), upstream: UpstreamViewSchema });
export const UpstreamDeleteResponseSchema = z.object({ deleted: z.string(), tenant: z.string() });
