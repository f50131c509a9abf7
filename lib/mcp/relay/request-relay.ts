import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { LOG_LEVEL_META_KEY } from "@modelcontextprotocol/server";
import type { Era } from "../revisions";
import { answerWithRelay, type Reply, type StreamedOrJson } from "./answer-stream";
import { type CallerContext, type LoggingLevel, logLevelOf } from "./call-relay";
import type { RelayBroker, RelayOwner } from "./relay-broker";
import { createHash } from "node:crypto";
import type { KvStore } from "@/lib/redis";
import { capsOf, issueSessionId, type McpSession, SESSION_MAX_AGE_MS, verifySessionId } from "./session-id";
import type { CallRelay, RpcMessage } from "./types";

/** What the relay needs of the process (built once, in the composition root). */
export interface RelayServices {
  broker: RelayBroker;
  /** Signs and verifies Mcp-Session-Id (derived from HMAC_SECRET). */
  sessionSecret: string;
  /** The console's public base URL (NEXTAUTH_URL), for approval pages. */
  consoleUrl?: string;
  now: () => number;
  /** Where ended sessions are remembered (the KV store every replica shares). */
  kv: Pick<KvStore, "get" | "set">;
}

const levelKey = (sessionId: string) => `mcp:session:log-level:${createHash("sha256").update(sessionId).digest("base64url")}`;
const endedKey = (sessionId: string) => `mcp:session:ended:${createHash("sha256").update(sessionId).digest("base64url")}`;

/** The transport facts of one POST the relay acts on. */
export interface RelayHeaders {
  accept: string | null;
  sessionId: string | null;
}

/** True when the Accept header names text/event-stream without refusing it (q=0); wildcards are no promise to parse SSE. */
export function acceptsSse(accept: string | null): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((x) => x.trim().toLowerCase());
    return type === "text/event-stream" && !params.some((p) => /^q\s*=\s*0(\.0*)?$/.test(p));
  });
}

/**
 * The relay of one /mcp POST: its session (verified; none for a stateless client), the
 * routing of a client's answers to relayed requests, SSE answers for tools/call when the client
 * accepts them, and the session id issued on initialize.
 */
export class RequestRelay {
  private constructor(
    private readonly svc: RelayServices,
    private readonly owner: RelayOwner,
    private readonly headers: RelayHeaders,
    readonly session: McpSession | null,
  ) {}

  /** Checks the presented session (a bad or ended one is the spec's 404: the client initializes again). */
  static async open(svc: RelayServices, owner: RelayOwner, headers: RelayHeaders): Promise<{ ok: true; relay: RequestRelay } | { ok: false; reason: string }> {
    if (!headers.sessionId) return { ok: true, relay: new RequestRelay(svc, owner, headers, null) };
    const checked = verifySessionId(svc.sessionSecret, headers.sessionId, owner, svc.now());
    if (!checked.ok) return { ok: false, reason: checked.reason };
    if (await svc.kv.get(endedKey(headers.sessionId))) return { ok: false, reason: "the session was ended (DELETE): initialize again" };
    return { ok: true, relay: new RequestRelay(svc, owner, headers, checked.session) };
  }

  /** DELETE: the session ends for every replica (remembered until it would have expired anyway). */
  async end(): Promise<boolean> {
    const id = this.headers.sessionId;
    if (!id || !this.session) return false;
    const left = this.session.issuedAt + SESSION_MAX_AGE_MS - this.svc.now();
    if (left > 0) await this.svc.kv.set(endedKey(id), "1", { ttlMs: left });
    return true;
  }

  /**
   * logging/setLevel in a session: the level this session's relayed log messages are held to, for
   * every replica (upstream sessions are shared by all callers, so it is applied here, not sent
   * upstream). False without a session: there is nothing to remember it by.
   */
  async setLogLevel(level: LoggingLevel): Promise<boolean> {
    const id = this.headers.sessionId;
    if (!id || !this.session) return false;
    const left = this.session.issuedAt + SESSION_MAX_AGE_MS - this.svc.now();
    if (left > 0) await this.svc.kv.set(levelKey(id), level, { ttlMs: left });
    return true;
  }

  /** Routes a JSON-RPC response (a client's answer to a relayed request); false when it answers nothing of ours. */
  deliver(message: RpcMessage): Promise<boolean> {
    return this.svc.broker.deliver(this.owner, message);
  }

  /** Whether this request's answer may be an SSE stream. */
  get streams(): boolean {
    return acceptsSse(this.headers.accept);
  }

  /** The Mcp-Session-Id for an initialize request's answer. */
  sessionFor(message: RpcMessage, reply: Reply): string | null {
    const params = (message.params ?? {}) as { capabilities?: unknown };
    const result = (reply as { result?: { protocolVersion?: unknown } } | null)?.result;
    const version = typeof result?.protocolVersion === "string" ? result.protocolVersion : SUPPORTED_PROTOCOL_VERSIONS[0]!;
    if (!result) return null;
    return issueSessionId(this.svc.sessionSecret, { ...this.owner, caps: capsOf(params.capabilities), protocolVersion: version, issuedAt: this.svc.now() });
  }

  /**
   * Runs a tools/call with a relay to the caller: JSON when nothing was relayed, else SSE. A
   * 2026-07-28 (stateless) request's stream follows that revision's rules (CallerContext.stateless),
   * with the log level its `_meta` names.
   */
  async call(message: RpcMessage, run: (relay: CallRelay, signal: AbortSignal) => Promise<Reply>, signal: AbortSignal, era: Era = "session"): Promise<StreamedOrJson> {
    const sessionLevel = era === "session" && this.session && this.headers.sessionId ? logLevelOf(await this.svc.kv.get(levelKey(this.headers.sessionId))) : undefined;
    const meta = ((message.params as { _meta?: Record<string, unknown> } | undefined)?._meta ?? {}) as { progressToken?: unknown } & Record<string, unknown>;
    const token = typeof meta.progressToken === "string" || typeof meta.progressToken === "number" ? meta.progressToken : undefined;
    const ctx: CallerContext = {
      owner: this.owner,
      caps: era === "stateless" ? null : (this.session?.caps ?? null),
      broker: this.svc.broker,
      consoleUrl: this.svc.consoleUrl,
      ...(era === "stateless" ? { stateless: { logLevel: logLevelOf(meta[LOG_LEVEL_META_KEY]) } } : {}),
      ...(sessionLevel ? { sessionLogLevel: sessionLevel } : {}),
    };
    return answerWithRelay(message.id as string | number, run, ctx, token, signal);
  }
}
