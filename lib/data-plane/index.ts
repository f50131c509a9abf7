import { ROUTE_ID, routeIdOf } from "@/lib/http/route-table";
import { services } from "@/lib/server/slot";
import { overloadAnswer } from "./overload";

export { Admission, OVERLOADED, type Admitted, type Refused } from "./admission";
export { createDataPlaneHandler, DATA_PLANE_PATHS, type DataPlaneOptions, type NodeHandler } from "./handler";
export { overloadAnswer, OVERLOADED_RPC_CODE } from "./overload";

/** The same bound around a Next route handler (app/api/mcp/route.ts under `npm run dev`); keeps its route id. */
export function withAdmission<C>(handler: (req: Request, ctx: C) => Promise<Response>): (req: Request, ctx: C) => Promise<Response> {
  const bounded = async (req: Request, ctx: C): Promise<Response> => {
    const admitted = services().admission.tryEnter();
    if (!admitted.ok) {
      const a = overloadAnswer(admitted);
      return Response.json(a.body, { status: a.status, headers: a.headers });
    }
    try {
      return await handler(req, ctx);
    } finally {
      admitted.release();
    }
  };
  const id = routeIdOf(handler);
  if (id) Object.defineProperty(bounded, ROUTE_ID, { value: id });
  return bounded;
}
