import type { z } from "zod";

/**
 * The one rule for unknown fields in requests: a request body or query that is a zod object with
 * no rule of its own (zod's default strips unknown keys silently) becomes strict, so a typo'd or
 * unsupported field is a 400 naming it instead of being ignored. A schema that must stay open says
 * so with z.looseObject (the JSON-RPC envelope of /mcp; its `params` are a record anyway); a pipe
 * or preprocess (AegisMCP's guard bodies, whose call arguments are top-level fields) is left as is.
 */
export function strictRequest<T extends z.ZodType>(schema: T): T {
  const def = (schema as unknown as { _zod: { def: { type: string; catchall?: unknown } } })._zod.def;
  if (def.type !== "object" || def.catchall !== undefined) return schema;
  return (schema as unknown as z.ZodObject).strict() as unknown as T;
}

/** The routes' schemas with their bodies and queries under the rule above (output types unchanged). */
export function strictRequestSchemas<T extends Record<string, { body?: z.ZodType; query?: z.ZodType; response?: z.ZodType }>>(table: T): T {
  const out: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(table)) {
    out[id] = { ...s, ...(s.body ? { body: strictRequest(s.body) } : {}), ...(s.query ? { query: strictRequest(s.query) } : {}) };
  }
  return out as T;
}
