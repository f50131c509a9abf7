import { createHmac } from "node:crypto";
import type { AuditInput } from "@/lib/audit/schemas";
import type { Clock } from "@/lib/clock";
import type { Env } from "@/lib/env";
import type { Logger } from "@/lib/log";
import type { KvStore } from "@/lib/redis";
import { createRelayBroker } from "./relay-broker";
import type { RelayServices } from "./request-relay";

export interface RelayServiceDeps {
  env: Pick<Env, "MCP_CLIENT_REQUEST_TIMEOUT_MS" | "NEXTAUTH_URL">;
  kv: KvStore;
  secrets: { hmacSecret: string };
  clock: Clock;
  audit: (input: AuditInput) => Promise<unknown>;
  log: Logger;
}

/**
 * The relay's process-wide parts, for the composition root: the broker (answers routed through the
 * KV store's pub/sub, so any replica may receive one), the session-id key (derived from
 * HMAC_SECRET, which every replica shares, under its own label so no other HMAC of it can be
 * replayed as a session) and the console's public URL for approval pages.
 */
export function createMcpRelayServices(d: RelayServiceDeps): RelayServices {
  const broker = createRelayBroker({
    kv: d.kv,
    timeoutMs: d.env.MCP_CLIENT_REQUEST_TIMEOUT_MS,
    onRefused: (r) => {
      // Recorded under the tenant of the principal who tried: the owner's tenant learns nothing of them.
      d.audit({
        tenant: r.by.tenant,
        kind: "mcp_relay_refused",
        subject: r.by.subject,
        decision: "refused",
        reason: `answer to relayed ${r.method} refused: it was sent to another principal`,
        data: { correlation_id: r.correlationId, method: r.method, same_tenant: r.owner.tenant === r.by.tenant },
      }).catch((err: unknown) => d.log.warn({ err }, "a refused relay answer could not be audited"));
    },
  });
  return {
    broker,
    sessionSecret: createHmac("sha256", d.secrets.hmacSecret).update("canopyiq mcp session ids v1").digest("base64url"),
    ...(d.env.NEXTAUTH_URL ? { consoleUrl: d.env.NEXTAUTH_URL } : {}),
    now: () => d.clock.nowMs(),
    kv: d.kv,
  };
}
