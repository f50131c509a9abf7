import { randomUUID } from "node:crypto";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { forbidden, notFound } from "@/lib/errors";
import type { KvStore } from "@/lib/redis";
import type { RpcMessage } from "./types";

/** The ids of requests the gateway relays to callers carry this prefix: a response with one is an answer to route. */
export const RELAY_ID_PREFIX = "canopy-relay-";

/** Whose answer a relayed request waits for: only this principal may give it. */
export interface RelayOwner {
  tenant: string;
  subject: string;
}

/** A refused answer, for the audit log: someone other than the owner tried to answer. */
export interface RelayRefusal {
  correlationId: string;
  method: string;
  owner: RelayOwner;
  by: RelayOwner;
}

export interface RelayBrokerOptions {
  kv: Pick<KvStore, "get" | "set" | "del" | "publish" | "subscribe">;
  /** How long a relayed request waits for the caller's answer (MCP_CLIENT_REQUEST_TIMEOUT_MS). */
  timeoutMs: number;
  /** This process's id on the relay channel (default: random). */
  replicaId?: string;
  onRefused?: (r: RelayRefusal) => void;
}

interface Pending {
  owner: RelayOwner;
  method: string;
  settle: (message: RpcMessage) => void;
}

interface Route {
  r: string;
  t: string;
  s: string;
  m: string;
}

/**
 * Server→client requests relayed to a caller, and the caller's answers routed back to the replica
 * that holds the upstream request. The caller answers with a new POST that any replica may
 * receive: the correlation id (the id the caller saw) names a record in the KV store (the holding
 * replica and the owner), the receiving replica checks the owner and publishes the answer on the
 * holder's channel. In-process (no Redis) the same path runs through the memory store.
 */
export interface RelayBroker {
  /** Sends `method` to the caller through `send` and resolves with its result (McpError for its error, a timeout or an abort). */
  ask(owner: RelayOwner, method: string, params: Record<string, unknown>, send: (message: RpcMessage) => boolean, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /**
   * Routes a caller's JSON-RPC response; false when its id is not a relayed request's. Throws
   * not_found for an unknown or spent id and forbidden (reported to onRefused) for another principal.
   */
  deliver(by: RelayOwner, message: RpcMessage): Promise<boolean>;
  /** Requests waiting on this replica. */
  pendingCount(): number;
  close(): Promise<void>;
}

const routeKey = (cid: string) => `mcp:relay:req:${cid}`;
const channelOf = (replica: string) => `mcp:relay:replica:${replica}`;

export function createRelayBroker(o: RelayBrokerOptions): RelayBroker {
  const replica = o.replicaId ?? randomUUID();
  const pending = new Map<string, Pending>();
  let listening: Promise<() => Promise<void>> | undefined;

  function onChannel(text: string) {
    let parsed: { cid?: unknown; message?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.cid !== "string" || !parsed.message || typeof parsed.message !== "object") return;
    pending.get(parsed.cid)?.settle(parsed.message as RpcMessage);
  }

  function listen() {
    listening ??= o.kv.subscribe(channelOf(replica), onChannel).catch((err) => {
      listening = undefined;
      throw err;
    });
    return listening;
  }

  return {
    async ask(owner, method, params, send, signal) {
      signal?.throwIfAborted();
      await listen();
      const cid = `${RELAY_ID_PREFIX}${randomUUID()}`;
      const route: Route = { r: replica, t: owner.tenant, s: owner.subject, m: method };
      // The route outlives the wait a little: an answer racing the timeout finds "spent", not "unknown".
      await o.kv.set(routeKey(cid), JSON.stringify(route), { ttlMs: o.timeoutMs + 5_000 });
      try {
        return await new Promise<Record<string, unknown>>((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            pending.delete(cid);
          };
          const onAbort = () => {
            done();
            reject(signal!.reason ?? new Error("aborted"));
          };
          const timer = setTimeout(() => {
            done();
            reject(new McpError(ErrorCode.RequestTimeout, `the client did not answer ${method} within ${o.timeoutMs} ms (MCP_CLIENT_REQUEST_TIMEOUT_MS)`, { timeout: o.timeoutMs }));
          }, o.timeoutMs);
          signal?.addEventListener("abort", onAbort, { once: true });
          pending.set(cid, {
            owner,
            method,
            settle: (m) => {
              done();
              const err = m.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
              if (err && typeof err === "object") reject(new McpError(typeof err.code === "number" ? err.code : ErrorCode.InternalError, String(err.message ?? "the client refused"), err.data));
              else resolve((m.result && typeof m.result === "object" ? m.result : {}) as Record<string, unknown>);
            },
          });
          if (!send({ jsonrpc: "2.0", id: cid, method, params })) {
            done();
            reject(new McpError(ErrorCode.InternalError, `${method} cannot reach the client: its stream is closed`));
          }
        });
      } finally {
        await o.kv.del(routeKey(cid)).catch(() => 0);
      }
    },

    async deliver(by, message) {
      const cid = message.id;
      if (typeof cid !== "string" || !cid.startsWith(RELAY_ID_PREFIX)) return false;
      const local = pending.get(cid);
      let route: Route | null = local ? { r: replica, t: local.owner.tenant, s: local.owner.subject, m: local.method } : null;
      if (!route) {
        const text = await o.kv.get(routeKey(cid));
        route = text ? (JSON.parse(text) as Route) : null;
      }
      if (!route) throw notFound(`no request ${cid} is waiting for an answer: it was answered already or its wait (MCP_CLIENT_REQUEST_TIMEOUT_MS) is over`);
      if (route.t !== by.tenant || route.s !== by.subject) {
        o.onRefused?.({ correlationId: cid, method: route.m, owner: { tenant: route.t, subject: route.s }, by });
        throw forbidden(`request ${cid} was sent to another principal: only the caller it was sent to may answer it`);
      }
      // Only the answer travels: the owner check above is the receiving replica's.
      const answer: RpcMessage = { jsonrpc: "2.0", id: cid, ...("error" in message ? { error: message.error } : { result: message.result }) };
      if (route.r === replica) {
        const p = pending.get(cid);
        if (!p) throw notFound(`no request ${cid} is waiting for an answer: it was answered already or its wait is over`);
        p.settle(answer);
      } else {
        await o.kv.publish(channelOf(route.r), JSON.stringify({ cid, message: answer }));
      }
      return true;
    },

    pendingCount: () => pending.size,

    async close() {
      const l = listening;
      listening = undefined;
      if (l) await (await l.catch(() => null))?.();
      for (const [cid, p] of pending) p.settle({ jsonrpc: "2.0", id: cid, error: { code: ErrorCode.ConnectionClosed, message: "the gateway is shutting down" } });
    },
  };
}
