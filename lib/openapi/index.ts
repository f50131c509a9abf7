import { z } from "zod";
import { aliasesOf, ROUTE_IDS, routeSpec, type RouteId } from "@/lib/http/route-table";
import { routeSchemas, type RouteSchemas } from "@/lib/server/route-schemas";

const errorEnvelope = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

function schemaOf(s: z.ZodType) {
  return z.toJSONSchema(s, { target: "draft-2020-12", unrepresentable: "any", io: "input" });
}

function pathParams(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
}

function queryParams(q?: z.ZodType) {
  if (!q) return [];
  const json = schemaOf(q) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({ name, in: "query", required: json.required?.includes(name) ?? false, schema }));
}

/** OpenAPI 3.1 of every route of the route table, with the bearer security scheme. */
export function buildOpenApi(baseUrl: string, ids: readonly RouteId[] = ROUTE_IDS) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const id of ids) {
    const op = routeSpec(id);
    const schemas: RouteSchemas = routeSchemas[id];
    const method = op.method.toLowerCase();
    const aliases = aliasesOf(op);
    const entry = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${method}_${op.path.replace(/[^\w]+/g, "_").replace(/^_|_$/g, "")}`,
      description: [op.permission ? `Requires permission \`${op.permission}\`.` : "Public.", aliases.length ? `Aliases: ${aliases.map((a) => `\`${a}\``).join(", ")}.` : ""].filter(Boolean).join(" "),
      security: op.permission ? [{ bearerAuth: [] }] : [],
      parameters: [...pathParams(op.path), ...queryParams(schemas.query)],
      ...(schemas.body ? { requestBody: { required: true, content: { [op.bodyContentType ?? "application/json"]: { schema: schemaOf(schemas.body) } } } } : {}),
      responses: {
        "200": {
          description: "OK",
          content: { [op.responseContentType ?? "application/json"]: { schema: schemas.response ? schemaOf(schemas.response) : {} } },
        },
        default: { description: "Error", content: { "application/json": { schema: schemaOf(errorEnvelope) } } },
      },
    };
    paths[op.path] ??= {};
    paths[op.path][method] = entry;
  }
  return {
    openapi: "3.1.0",
    info: { title: "CanopyIQ API", version: "0.1.0", description: "Governance gateway for AI agents' MCP tool calls." },
    servers: [{ url: baseUrl }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    security: [{ bearerAuth: [] }],
    paths,
  };
}
