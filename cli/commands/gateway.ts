import { parseArgs } from "node:util";

const USAGE = "usage: canopy gateway [--port N] [--host ADDRESS]   (default port: PORT, else 3000; default host: 127.0.0.1)";

/**
 * `canopy gateway`: the MCP data plane alone (POST /mcp and /api/mcp), for deployments that scale
 * it apart from the console. It shares Postgres and Redis with the console; it migrates and seeds
 * like the server does (both are idempotent), and runs the background work a replica runs
 * (approval expiry, usage persistence). Without DATABASE_URL it opens the embedded database,
 * which only one process may have open: then it must be the only CanopyIQ process.
 */
export async function gatewayCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: "string", short: "p" }, host: { type: "string", short: "H" } }, strict: true }));
  } catch (e) {
    process.stderr.write(`canopy gateway: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { env } = await import("@/lib/env");
  const port = values.port === undefined ? env().PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`canopy gateway: --port must be a whole number from 0 to 65535, not ${JSON.stringify(values.port)}\n${USAGE}\n`);
    return 2;
  }
  const { bootstrap } = await import("@/lib/bootstrap");
  const { services } = await import("@/lib/server");
  const { serveDataPlane } = await import("@/lib/data-plane/serve");
  const svc = services();
  await bootstrap(svc);
  await svc.start();
  const { url, close } = await serveDataPlane({ port, host: values.host ?? "127.0.0.1" });
  process.stdout.write(`canopy gateway: MCP data plane on ${url}/mcp (max ${env().DATA_PLANE_MAX_IN_FLIGHT} requests in flight)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void close().finally(resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  // Database pools and the Redis subscription would keep the process alive.
  process.exit(0);
}
