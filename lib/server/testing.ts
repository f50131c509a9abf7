import type { Db } from "@/lib/db";
import { env } from "@/lib/env";
import { memoryKv } from "@/lib/redis";
import { createServices } from "./services";
import { installServices } from "./slot";
import type { ServiceOverrides, Services } from "./types";

/**
 * Services for a test: the test's database, an in-process KV store unless given, everything else
 * built from the (test-adjusted) env as production builds it; `overrides` swaps in fakes.
 */
export function createTestServices(db: Db, overrides: Partial<ServiceOverrides> = {}): Services {
  return createServices(env(), { db, kv: memoryKv(), ...overrides });
}

/**
 * Makes `s` the process's services for route handlers under test; the returned function puts the
 * previous ones back and closes `s`.
 */
export function installTestServices(s: Services): () => Promise<void> {
  const previous = installServices(s);
  return async () => {
    installServices(previous);
    await s.close();
  };
}
