import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { allowedMethods, HTTP_METHODS, methodsNotAllowed, NOT_ALLOWED } from "./methods";

const API = path.resolve(__dirname, "../../app/api");

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === "route.ts" ? [p] : [];
  });
}

/** The URL of a route file, with sample values for its dynamic segments. */
const urlOf = (file: string) =>
  "http://test/api/" +
  path
    .relative(API, path.dirname(file))
    .split(path.sep)
    .map((s) => s.replace(/^\[\.\.\.(\w+)\]$/, "x/y").replace(/^\[(\w+)\]$/, "sample-$1"))
    .join("/");

const files = routeFiles(API).sort();

describe("every API route answers every HTTP method", () => {
  test("the walker finds the routes", () => {
    expect(files.length).toBeGreaterThan(25);
  });

  test.each(files.map((f) => [path.relative(API, f), f]))("%s", async (_label, file) => {
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    const handlers = HTTP_METHODS.map((m) => [m, mod[m]] as const);
    const own = handlers.filter(([, h]) => typeof h === "function" && !(NOT_ALLOWED in (h as object))).map(([m]) => m);
    const catchAll = path.relative(API, file).startsWith("[...");
    // Every method is exported: the route's own, or the 405 of methodsNotAllowed (HEAD may be left to Next for GET routes).
    for (const [m, h] of handlers) {
      if (m === "HEAD" && own.includes("GET")) continue;
      expect(typeof h, `${m} is not exported by ${file}: add it to the methodsNotAllowed(...) export`).toBe("function");
    }
    if (catchAll) return; // the catch-all answers 404 for every method
    const allow = allowedMethods(own.filter((m): m is "GET" | "POST" | "PUT" | "PATCH" | "DELETE" => m !== "HEAD" && m !== "OPTIONS"));
    for (const [m, h] of handlers) {
      if (typeof h !== "function" || own.includes(m)) continue;
      const res = (await (h as (r: Request) => Promise<Response>)(new Request(urlOf(file), { method: m }))) as Response;
      expect(res.headers.get("allow")).toBe(allow.join(", "));
      if (m === "OPTIONS") {
        expect(res.status).toBe(204);
        continue;
      }
      expect(res.status, `${m} ${file}`).toBe(405);
      if (m === "HEAD") continue;
      const body = await res.json();
      expect(body.error).toMatchObject({ code: "method_not_allowed", message: expect.stringContaining(`${m} is not supported on /api/`), details: { allow } });
    }
  });
});

describe("methodsNotAllowed", () => {
  test("returns exactly the methods a route does not implement; HEAD is left to Next for GET routes", () => {
    expect(Object.keys(methodsNotAllowed("GET", "POST")).sort()).toEqual(["DELETE", "OPTIONS", "PATCH", "PUT"]);
    expect(Object.keys(methodsNotAllowed("POST")).sort()).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "PUT"]);
  });

  test("405 names the method, the path and what to use instead", async () => {
    const { DELETE } = methodsNotAllowed("GET", "PUT");
    const res = await DELETE(new Request("http://test/api/admin/tenants/acme/quotas", { method: "DELETE" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PUT, OPTIONS");
    expect((await res.json()).error.message).toBe("DELETE is not supported on /api/admin/tenants/acme/quotas; use GET or PUT (see /api/openapi.json)");
  });
});
