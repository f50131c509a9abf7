// `npm start`: the production server. /mcp and /api/mcp go straight to the data plane
// (lib/data-plane, plain node:http: ~50x cheaper per request than a Next route handler); every
// other request goes to Next's request handler. Run through tsx (a dependency), like the CLI.
import { parseArgs } from "node:util";
import next from "next";
import { env } from "@/lib/env";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } },
  strict: true,
});
const port = values.port ? Number(values.port) : env().PORT;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${values.port}`);
  process.exit(2);
}
const hostname = values.hostname ?? "0.0.0.0";

// Next reads the built app (.next) and runs instrumentation.ts (migrations, seed, background work) in prepare().
const app = next({ dev: false, hostname, port, dir: process.cwd() });
await app.prepare();
const handle = app.getRequestHandler();
// Loaded after prepare(): the data plane's modules reach Next internals (next/server, next-auth)
// that need the AsyncLocalStorage Next sets up while preparing.
const { serveDataPlane } = await import("@/lib/data-plane/serve");
const { url } = await serveDataPlane({ port, host: hostname, fallback: (req, res) => handle(req, res) });
console.log(`  console + data plane on ${url} (/mcp served by the data plane)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app.close().finally(() => process.exit(0));
  });
}
