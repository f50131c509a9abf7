import { env } from "@/lib/env";
import { createServices } from "./services";
import type { Services } from "./types";

/**
 * The one process-wide slot. Next.js bundles each route module (and instrumentation) separately,
 * so a module-level variable would exist once per bundle: several database pools, several PGlite
 * instances on one folder (which corrupts it), several upstream child processes. A Symbol.for key
 * is shared by every bundle of the process, so all of them see one Services. Nothing else in the
 * code base is global; everything reaches its services through this accessor's callers.
 */
const SLOT = Symbol.for("canopyiq.services");
type Slot = { [SLOT]?: Services };

/** The process's services, built from the validated env on first use (server processes only). */
export function services(): Services {
  const g = globalThis as Slot;
  g[SLOT] ??= createServices(env());
  return g[SLOT];
}

/**
 * Installs `s` as the process's services (tests that drive route handlers, the CLI's in-process
 * server) and returns the previous ones; `undefined` empties the slot.
 */
export function installServices(s: Services | undefined): Services | undefined {
  const g = globalThis as Slot;
  const previous = g[SLOT];
  g[SLOT] = s;
  return previous;
}
