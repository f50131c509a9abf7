import type { NextConfig } from "next";
// Relative: next.config.ts is loaded before the "@/" alias exists; the table imports nothing at run time.
import { routeRewrites } from "./lib/http/route-table";

const nextConfig: NextConfig = {
  // Native/WASM server packages are loaded by Node, not bundled (ssh2 loads a native addon; dockerode reaches it through docker-modem); @slack/bolt brings Express and its receivers, which Node loads as they are.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg", "ioredis", "pino", "undici", "ssh2", "dockerode", "@slack/bolt"],
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
    // The seed documents' own paths are aliases of the canonical /api paths (lib/http/route-table.ts).
    return { beforeFiles: routeRewrites(), afterFiles: [], fallback: [] };
  },
};

export default nextConfig;
