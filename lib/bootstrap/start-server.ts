import { services } from "@/lib/server";
import { bootstrap, formatReport } from "./index";

/**
 * Validate configuration, migrate, seed, start the background work (approval expiry, usage
 * persistence; approval events are audited by the composition root), print how to sign in. A bad
 * configuration stops the server.
 */
export async function startServer() {
  try {
    const svc = services();
    const report = await bootstrap(svc);
    await svc.start();
    console.log(formatReport(report));
  } catch (err) {
    console.error(`\nCanopyIQ cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
