import { describe, expect, test } from "vitest";
import { buildOpenApi } from "./index";
import { ROUTE_IDS, routeSpec } from "@/lib/http/route-table";

describe("OpenAPI document", () => {
  const doc = buildOpenApi("http://localhost:3000");

  test("is OpenAPI 3.1 with the bearer scheme", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  test("public operations need no token; the others do", () => {
    const health = doc.paths["/api/health"].get as { security: unknown[] };
    expect(health.security).toEqual([]);
    const metrics = doc.paths["/api/metrics"].get as { security: unknown[] };
    expect(metrics.security).toEqual([{ bearerAuth: [] }]);
  });

  test("every route of the table is documented, with its permission and aliases", () => {
    for (const id of ROUTE_IDS) {
      const spec = routeSpec(id);
      const op = doc.paths[spec.path]?.[spec.method.toLowerCase()] as { description: string } | undefined;
      expect(op, id).toBeDefined();
      expect(op?.description, id).toContain(spec.permission ? `\`${spec.permission}\`` : "Public.");
    }
    expect((doc.paths["/api/v1/policy/validate"].post as { description: string }).description).toContain("`/v1/policy/validate`, `/policy/validate`");
  });
});
