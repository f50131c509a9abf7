import { env } from "@/lib/env";
import { Admission } from "./admission";
import { overloadAnswer } from "./overload";

export { Admission, OVERLOADED, type Admitted, type Refused } from "./admission";
export { createDataPlaneHandler, DATA_PLANE_PATHS, type DataPlaneOptions, type NodeHandler } from "./handler";
export { overloadAnswer, OVERLOADED_RPC_CODE } from "./overload";

const g = globalThis as { __canopyAdmission?: Admission };

/** The process's in-flight bound for /mcp (DATA_PLANE_MAX_IN_FLIGHT), shared by the Next route and the node:http entry. */
export function dataPlaneAdmission(): Admission {
  g.__canopyAdmission ??= new Admission({ maxInFlight: env().DATA_PLANE_MAX_IN_FLIGHT });
  return g.__canopyAdmission;
}

/** The same bound around a Next route handler (app/api/mcp/route.ts under `npm run dev`). */
export function withAdmission<C>(handler: (req: Request, ctx: C) => Promise<Response>): (req: Request, ctx: C) => Promise<Response> {
  return async (req, ctx) => {
    const admitted = dataPlaneAdmission().tryEnter();
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
}
