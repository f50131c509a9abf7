import type { Clock } from "@/lib/clock";
import type { OfferingsGateway } from "@/lib/enforce/offerings";
import type { Logger } from "@/lib/log";
import type { KvStore } from "@/lib/redis";
import type { Principal } from "@/lib/auth/principal";
import type { RelayServices } from "../relay/request-relay";
import type { ListenServices } from "./http";
import { intervalTimers, ListenHub, sessionKeyOf } from "./listen-hub";

/** Sessions ended on any replica: their streams everywhere end. */
export const SESSION_ENDED_CHANNEL = "canopy:mcp:session-ended";

export interface ListenServiceDeps {
  gateway: { listTools(principal: Principal): Promise<unknown[]>; offerings: Pick<OfferingsGateway, "listResources" | "listResourceTemplates" | "listPrompts"> };
  relay: RelayServices;
  kv: Pick<KvStore, "publish" | "subscribe">;
  clock: Clock;
  limits: { maxStreams: number; maxPerPrincipal: number; intervalMs: number; keepaliveMs: number; maxStreamMs: number };
  log: Logger;
}

/** GET/DELETE /mcp's process-wide parts, for the composition root; close() ends every stream. */
export function createListenServices(d: ListenServiceDeps): ListenServices & { close(): Promise<void> } {
  const hub = new ListenHub({
    sources: {
      tools: (p) => d.gateway.listTools(p),
      resources: async (p) => {
        const [resources, templates] = await Promise.all([d.gateway.offerings.listResources(p), d.gateway.offerings.listResourceTemplates(p)]);
        return [resources, templates];
      },
      prompts: (p) => d.gateway.offerings.listPrompts(p),
    },
    now: () => d.clock.nowMs(),
    maxStreams: d.limits.maxStreams,
    maxPerPrincipal: d.limits.maxPerPrincipal,
    intervalMs: d.limits.intervalMs,
    keepaliveMs: d.limits.keepaliveMs,
    timers: intervalTimers,
    onError: (err) => d.log.warn({ err }, "GET /mcp streams: the lists could not be compared; retrying at the next interval"),
  });
  const listening = d.kv.subscribe(SESSION_ENDED_CHANNEL, (key) => hub.endSession(key)).catch((err: unknown) => {
    d.log.warn({ err }, "GET /mcp streams: sessions ended on other replicas will not end their streams here");
    return null;
  });
  return {
    hub,
    relay: d.relay,
    maxStreamMs: d.limits.maxStreamMs,
    async announceEnded(sessionId) {
      const key = sessionKeyOf(sessionId);
      hub.endSession(key);
      await d.kv.publish(SESSION_ENDED_CHANNEL, key);
    },
    async close() {
      hub.closeAll();
      await (await listening)?.();
    },
  };
}
