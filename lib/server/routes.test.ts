import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { z } from "zod";
import { PERMISSIONS } from "@/lib/auth/rbac";
import { HTTP_METHODS, NOT_ALLOWED } from "@/lib/http/methods";
import { ROUTE_IDS, routeIdOf, routeRewrites, routeSpec, type RouteId } from "@/lib/http/route-table";
import { routeSchemas } from "./route-schemas";

const API = path.resolve(__dirname, "../../app/api");
// Routes outside /api whose place a standard fixes: RFC 9728's metadata of /mcp (an optional catch-all, for its suffixed forms).
const WELL_KNOWN = path.resolve(__dirname, "../../app/.well-known");
// Not routes of the table: next-auth's own handlers, and the JSON 404 of unknown /api paths.
const OUTSIDE_TABLE = new Set(["auth/[...nextauth]", "[...path]"]);

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === "route.ts" ? [p] : [];
  });
}

/** A route file's canonical path in the table's form: /api/admin/tokens/{id}. */
const pathOf = (file: string) =>
  file.startsWith(WELL_KNOWN)
    ? "/.well-known/" + path.relative(WELL_KNOWN, path.dirname(file)).split(path.sep).join("/").replace(/\/\[\[\.\.\.\w+\]\]$/, "")
    : "/api/" + path.relative(API, path.dirname(file)).split(path.sep).join("/").replace(/\[(\w+)\]/g, "{$1}");

const files = [...routeFiles(API).filter((f) => !OUTSIDE_TABLE.has(path.relative(API, path.dirname(f)).split(path.sep).join("/"))), ...routeFiles(WELL_KNOWN)].sort();

async function handlersOf(file: string) {
  const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
  // OPTIONS (204) and HEAD come from methodsNotAllowed or from Next: never routes of the table.
  return HTTP_METHODS.filter((m) => m !== "OPTIONS" && m !== "HEAD")
    .map((m) => [m, mod[m]] as const)
    .filter(([, h]) => typeof h === "function" && !(NOT_ALLOWED in (h as object)));
}

describe("the route table and the route files agree", () => {
  test("the walker finds the routes", () => {
    expect(files.length).toBeGreaterThan(40);
  });

  test.each(files.map((f) => [path.relative(API, f), f]))("%s: each handled method is its table entry", async (_label, file) => {
    for (const [method, handler] of await handlersOf(file)) {
      const id = routeIdOf(handler);
      expect(id, `${method} of ${file} is not made by withAuth(id, …)/withErrors(id, …)`).toBeDefined();
      expect(routeSpec(id as RouteId), `${method} ${pathOf(file)} is wrapped with ${id}`).toMatchObject({ method, path: pathOf(file) });
    }
  });

  test("every table entry is handled by its route file", async () => {
    const handled = new Set<string>();
    for (const file of files) for (const [, h] of await handlersOf(file)) handled.add(routeIdOf(h) ?? "");
    expect(ROUTE_IDS.filter((id) => !handled.has(id))).toEqual([]);
  });

  test("ids are unique per method and path", () => {
    const keys = ROUTE_IDS.map((id) => `${routeSpec(id).method} ${routeSpec(id).path}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  test.each(ROUTE_IDS.map((id) => [id]))("%s: its permission is an RBAC permission (or public)", (id) => {
    const { permission } = routeSpec(id);
    if (permission !== null) expect(PERMISSIONS).toContain(permission);
  });
});

describe("the rewrites generated from the table", () => {
  // The seed documents' paths as next.config.ts listed them by hand before the table: same answers for the same calls.
  test("are the seed documents' aliases", () => {
    const byHand = [
      { source: "/v1/:path*", destination: "/api/v1/:path*" },
      { source: "/approvals/:path+", destination: "/api/approvals/:path+" },
      { source: "/admin/:path*", destination: "/api/admin/:path*" },
      { source: "/policy", destination: "/api/v1/policy" },
      { source: "/policy/:path*", destination: "/api/v1/policy/:path*" },
      { source: "/guard/:path*", destination: "/api/v1/guard/:path*" },
      { source: "/health", destination: "/api/health" },
      { source: "/metrics", destination: "/api/metrics" },
      { source: "/mcp", destination: "/api/mcp" },
      { source: "/approvals", has: [{ type: "header", key: "authorization", value: "[Bb][Ee][Aa][Rr][Ee][Rr] .*" }], destination: "/api/v1/approvals" },
      { source: "/approvals", has: [{ type: "header", key: "accept", value: ".*application/json.*" }], destination: "/api/v1/approvals" },
      { source: "/audit", has: [{ type: "header", key: "content-type", value: ".*json.*" }], destination: "/api/v1/audit" },
    ];
    const key = (r: object) => JSON.stringify(Object.entries(r).sort());
    expect(routeRewrites().map(key).sort()).toEqual(byHand.map(key).sort());
  });
});

describe("the one rule for unknown fields", () => {
  // Open by design: the JSON-RPC envelope of /mcp, AegisMCP's guard bodies (the call's arguments are
  // top-level fields), bodies that are text (policy YAML), and Slack's Events API envelope (Slack's fields, signed).
  const OPEN = new Set<string>(["gateway.mcp:body", "gateway.check:body", "gateway.enforce:body", "policy.validate:body", "policy.migrate:body", "approvals.slackEvents:body"]);
  const inputs = ROUTE_IDS.flatMap((id) => (["body", "query"] as const).flatMap((k) => (routeSchemas[id] as Record<string, z.ZodType | undefined>)[k] ? [[`${id}:${k}`, id, k] as const] : []));

  test.each(inputs)("%s refuses an unknown field, naming it (or is open by design)", (key, id, k) => {
    const schema = (routeSchemas[id] as Record<string, z.ZodType>)[k];
    const issues = schema.safeParse({ surely_not_a_field: 1 }).error?.issues ?? [];
    const refused = issues.some((i) => i.code === "unrecognized_keys" && i.keys.includes("surely_not_a_field"));
    expect(refused, key).toBe(!OPEN.has(key));
  });
});
