import type { z } from "zod";
import { jsonBody } from "@/lib/http/body";
import type { RouteId } from "@/lib/http/route-table";
import { readFields } from "@/lib/policy-store/form";
import { readPolicyText } from "@/lib/policy-store/request";
import { routeSchemas, type RouteSchemas } from "./route-schemas";

/**
 * The one request parser: a route's body and query are read and parsed with the schemas of its
 * entry in the route table (lib/server/route-schemas.ts), the same ones its OpenAPI operation
 * shows, under the one rule for unknown fields (400 naming the field).
 */

type Schemas = typeof routeSchemas;
export type BodyOf<Id extends RouteId> = Schemas[Id] extends { body: infer B extends z.ZodType } ? z.output<B> : never;
export type QueryOf<Id extends RouteId> = Schemas[Id] extends { query: infer Q extends z.ZodType } ? z.output<Q> : never;

function schemasOf(id: RouteId): RouteSchemas {
  return routeSchemas[id];
}

export async function readRouteBody(id: RouteId, req: Request): Promise<unknown> {
  const s = schemasOf(id);
  if (!s.body) throw new Error(`route ${id} declares no body schema`);
  switch (s.read ?? "json") {
    case "fields":
      return s.body.parse(await readFields(req));
    case "policyText":
      return s.body.parse(await readPolicyText(req));
    default:
      return jsonBody(req, s.body, s.limit ?? "api");
  }
}

export function readRouteQuery(id: RouteId, req: Request): unknown {
  const s = schemasOf(id);
  if (!s.query) throw new Error(`route ${id} declares no query schema`);
  return s.query.parse(Object.fromEntries(new URL(req.url).searchParams));
}
