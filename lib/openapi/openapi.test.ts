import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { buildOpenApi } from "./index";
import { operations } from "./operations";

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return name === "route.ts" ? [full] : [];
  });
}

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

  test("every API route handler is documented", () => {
    const documented = new Set(operations.map((o) => o.path));
    const routes = routeFiles("app/api")
      .map((f) => `/${path.dirname(f)}`.replace(/\[(\w+)\]/g, "{$1}").replace(/^\/app/, ""))
      .filter((p) => !p.startsWith("/api/auth/") && p !== "/api/[...path]");
    const missing = routes.filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });
});
