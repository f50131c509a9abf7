import { env, envSecret } from "@/lib/env";
import { log } from "@/lib/log";
import { UpstreamRegistry } from "./registry";

// One registry per process: Next.js may load this module in several bundles, and each copy
// would otherwise spawn its own stdio children.
const g = globalThis as { __canopyUpstreams?: UpstreamRegistry };

/** The process's upstreams, from UPSTREAMS_PATH (default ./upstreams.yaml). Connects lazily. */
export function getUpstreams(): UpstreamRegistry {
  g.__canopyUpstreams ??= UpstreamRegistry.fromFile(env().UPSTREAMS_PATH, {
    resolveSecret: envSecret,
    onEvent: (e) => {
      const logger = log().child({ upstream: e.upstream });
      if (e.type === "connected") logger.info("upstream connected");
      else logger.warn({ detail: e.detail }, e.type === "closed" ? "upstream connection lost" : "upstream failed to start");
    },
  });
  return g.__canopyUpstreams;
}

/** Stops every upstream child and session (server shutdown, tests). */
export async function closeUpstreams(): Promise<void> {
  const r = g.__canopyUpstreams;
  g.__canopyUpstreams = undefined;
  await r?.close();
}
