import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dataPlaneAdmission } from "./index";
import { createDataPlaneHandler, type NodeHandler } from "./handler";

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
  const handler = createDataPlaneHandler({ admission: dataPlaneAdmission(), ...(o.fallback ? { fallback: o.fallback } : {}) });
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
