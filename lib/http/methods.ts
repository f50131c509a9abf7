/**
 * Every API route answers every HTTP method: its own handlers, and for the rest a 405 in the error
 * envelope with an `Allow` header (Next.js would answer them with an empty body). A route file
 * exports the remaining methods from this helper; its types refuse a method the route implements,
 * and a test walks every route file so none is forgotten:
 *
 *   export const GET = withAuth(...);
 *   export const POST = withAuth(...);
 *   export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
 *
 * HEAD is answered by Next.js from GET when a route has GET, so it is not among the remaining
 * methods then; OPTIONS answers 204 with the same `Allow`.
 */

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
type Implementable = Exclude<HttpMethod, "HEAD" | "OPTIONS">;

type Handler = (req: Request) => Promise<Response>;

/** Marks a handler made here, with the methods its route allows (read by the route walker test). */
export const NOT_ALLOWED = Symbol.for("canopyiq.methodNotAllowed");
export type NotAllowedHandler = Handler & { [NOT_ALLOWED]: string[] };

type Remaining<A extends Implementable> = Exclude<HttpMethod, A | ("GET" extends A ? "HEAD" : never)>;

/** The methods a route allows, as its `Allow` header lists them. */
export function allowedMethods(allowed: readonly Implementable[]): string[] {
  const set = new Set<HttpMethod>([...allowed, "OPTIONS"]);
  if (set.has("GET")) set.add("HEAD");
  return HTTP_METHODS.filter((m) => set.has(m));
}

export function methodsNotAllowed<A extends Implementable>(...allowed: A[]): Record<Remaining<A>, Handler> {
  const allow = allowedMethods(allowed);
  const header = allow.join(", ");
  const out: Partial<Record<HttpMethod, Handler>> = {};
  for (const method of HTTP_METHODS) {
    if (allow.includes(method) && method !== "OPTIONS") continue;
    const handler: Handler =
      method === "OPTIONS"
        ? async () => new Response(null, { status: 204, headers: { allow: header } })
        : async (req) => {
            const path = new URL(req.url).pathname;
            const body = {
              error: {
                code: "method_not_allowed",
                message: `${req.method} is not supported on ${path}; use ${allow.filter((m) => m !== "OPTIONS" && m !== "HEAD").join(" or ")} (see /api/openapi.json)`,
                details: { allow },
              },
            };
            return Response.json(body, { status: 405, headers: { allow: header } });
          };
    if (method !== "OPTIONS") Object.defineProperty(handler, NOT_ALLOWED, { value: allow });
    out[method] = handler;
  }
  return out as Record<Remaining<A>, Handler>;
}
