import type { NextConfig } from "next";

// The seed documents' own paths are aliases of the canonical /api paths.
const aliases = [
  { source: "/mcp", destination: "/api/mcp" },
  { source: "/health", destination: "/api/health" },
  { source: "/metrics", destination: "/api/metrics" },
  { source: "/v1/:path*", destination: "/api/v1/:path*" },
  { source: "/approvals/:path+", destination: "/api/approvals/:path+" },
  // Seed 004's GET /approvals lists approvals as JSON for API clients (a bearer token or an
  // Accept: application/json); a browser (cookies, text/html) gets the console's inbox page.
  { source: "/approvals", has: [{ type: "header" as const, key: "authorization", value: "[Bb][Ee][Aa][Rr][Ee][Rr] .*" }], destination: "/api/v1/approvals" },
  { source: "/approvals", has: [{ type: "header" as const, key: "accept", value: ".*application/json.*" }], destination: "/api/v1/approvals" },
  { source: "/admin/:path*", destination: "/api/admin/:path*" },
  // AegisMCP's (seed 004) paths.
  { source: "/policy", destination: "/api/v1/policy" },
  { source: "/policy/:path*", destination: "/api/v1/policy/:path*" },
  { source: "/guard/:path*", destination: "/api/v1/guard/:path*" },
  // POST /audit with a JSON body is the API; the console's /audit page is a browser GET.
  { source: "/audit", has: [{ type: "header" as const, key: "content-type", value: ".*json.*" }], destination: "/api/v1/audit" },
];

const nextConfig: NextConfig = {
  // Native/WASM server packages are loaded by Node, not bundled (ssh2 loads a native addon; dockerode reaches it through docker-modem).
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg", "ioredis", "pino", "undici", "ssh2", "dockerode"],
  poweredByHeader: false,
  // `next dev` serves its dev resources to localhost only; the console is also opened at
  // http://127.0.0.1:PORT (what the server prints, and what the e2e suite uses).
  allowedDevOrigins: ["127.0.0.1", "localhost", "[::1]"],
  // Gzip of small JSON answers costs the tool-call path more than it saves; a reverse proxy
  // compresses the console's pages in production.
  compress: false,
  // monaco-yaml's worker (through monaco-worker-manager) imports Monaco's worker by its pre-0.56
  // path, which monaco-editor's exports map no longer serves: point it at the file it moved to.
  turbopack: { resolveAlias: { "monaco-editor/esm/vs/editor/editor.worker.js": "monaco-editor/editor/editor.worker.js" } },
  async redirects() {
    return [{ source: "/ui/approvals", destination: "/approvals", permanent: false }];
  },
  async rewrites() {
    return { beforeFiles: aliases, afterFiles: [], fallback: [] };
  },
};

export default nextConfig;
