import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bearerToken } from "@/lib/auth/authenticate";
import { requirePermission } from "@/lib/auth/require-permission";
import { toErrorEnvelope, unauthorized } from "@/lib/errors";
import { checkHealth } from "@/lib/health";
import { metricsResponseFor } from "@/lib/metrics";
import { isProtectedResourcePath, protectedResourceMetadata } from "@/lib/mcp/http-guards";
import { services } from "@/lib/server";
import { createDataPlaneHandler, type NodeHandler, pathOf } from "./handler";

const HEALTH_PATHS = new Set(["/health", "/api/health"]);
const METRICS_PATHS = new Set(["/metrics", "/api/metrics"]);

/** GET /metrics of the data plane alone: the console's answer (bearer, metrics.read, tenant-scoped series). */
async function metrics(req: IncomingMessage, res: ServerResponse) {
  try {
    const svc = services();
    const header = req.headers.authorization;
    if (header === undefined) throw unauthorized();
    const principal = await svc.auth.principalFromBearer(bearerToken(header));
    requirePermission(principal, "metrics.read");
    const answer = await metricsResponseFor(svc.metrics, principal);
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" }).end(await answer.text());
  } catch (err) {
    const { status, body } = toErrorEnvelope(err);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }
}

/**
 * The data plane alone (`canopy gateway`) also answers GET /health and /api/health and GET
 * /metrics (Prometheus: this process's series), as the console does, and the OAuth protected resource metadata of /mcp, so load balancers and the image's HEALTHCHECK probe it the same way; anything
 * else is 404.
 */
const alone: NodeHandler = async (req, res) => {
  if (req.method === "GET" && HEALTH_PATHS.has(pathOf(req.url))) {
    const health = await checkHealth(services()).catch(() => ({ status: "error" }));
    const text = JSON.stringify(health);
    res.writeHead(health.status === "ok" ? 200 : 503, { "content-type": "application/json" }).end(text);
    return;
  }
  if (req.method === "GET" && METRICS_PATHS.has(pathOf(req.url))) return metrics(req, res);
  // The OAuth protected resource metadata the data plane's 401s point at (under Next, its route serves it).
  if (req.method === "GET" && isProtectedResourcePath(pathOf(req.url))) {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=300" }).end(JSON.stringify(protectedResourceMetadata(pathOf(req.url))));
    return;
  }
  const text = JSON.stringify({ error: { code: "not_found", message: `${pathOf(req.url)} is not served here: this process serves the MCP data plane only (POST /mcp or /api/mcp, GET /health, GET /metrics)` } });
  res.writeHead(404, { "content-type": "application/json" }).end(text);
};

export interface ServeOptions {
  port: number;
  host: string;
  /** Everything but /mcp (Next's request handler under `npm start`); absent: the data plane alone. */
  fallback?: NodeHandler;
}

/**
 * A node:http server whose /mcp and /api/mcp go straight to the data plane. Keep-alive outlives
 * typical load balancer idle timeouts (60 s), so agents reuse their connections.
 */
export async function serveDataPlane(o: ServeOptions): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const handler = createDataPlaneHandler({ admission: services().admission, fallback: o.fallback ?? alone, sessions: Boolean(o.fallback) });
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 300_000 }, (req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    server,
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
