import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Agent, type Dispatcher } from "undici";

/**
 * JSON-RPC requests to a Streamable HTTP MCP server over a pooled keep-alive dispatcher (undici),
 * without an SDK Client round trip per call. One POST per request; the answer is either JSON or an
 * SSE stream that carries the response (after any notifications or server→client requests, which
 * are handed to `onMessage` so a caller can relay them).
 *
 * Why not fetch: undici's fetch adds an abort listener to the request's signal that is removed
 * only when the Request is garbage collected; the SDK transport passes one long-lived signal to
 * every POST, so under load thousands of listeners pile up on it (MaxListenersExceededWarning).
 * Here every call owns its signal, and dispatcher.request removes its listener when it completes.
 */

export interface PooledHttpClientOptions {
  url: string;
  /** Sent on every request (configured headers, secrets already resolved). */
  headers?: Record<string, string>;
  /** Whose sockets to use (a guarded Agent for admin-managed upstreams); default: a private Agent. */
  dispatcher?: Dispatcher;
  /** An answer larger than this is refused (default 32 MiB). */
  maxResponseBytes?: number;
}

export interface RpcCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  sessionId?: string;
  protocolVersion?: string;
  /** Messages the server sends on the call's SSE stream before its response (progress, requests). */
  onMessage?: (message: Record<string, unknown>) => void;
}

export interface RpcSession {
  sessionId?: string;
  protocolVersion?: string;
}

const DEFAULT_MAX_RESPONSE = 32 * 1024 * 1024;

/** Errors of the pooled client: the SDK's own classes, so existing classification (failure.ts) applies. */
export const timeoutError = (method: string, ms: number) => new McpError(ErrorCode.RequestTimeout, `${method} timed out after ${ms} ms`, { timeout: ms });

export class PooledHttpClient {
  private readonly origin: string;
  private readonly path: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly maxBytes: number;
  private nextId = 1;

  constructor(private readonly o: PooledHttpClientOptions) {
    const u = new URL(o.url);
    this.origin = u.origin;
    this.path = `${u.pathname}${u.search}`;
    this.ownsDispatcher = !o.dispatcher;
    this.dispatcher = o.dispatcher ?? new Agent({ keepAliveTimeout: 30_000 });
    this.maxBytes = o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
  }

  private headers(s: RpcSession): Record<string, string> {
    const h: Record<string, string> = { ...this.o.headers, "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (s.sessionId) h["mcp-session-id"] = s.sessionId;
    if (s.protocolVersion) h["mcp-protocol-version"] = s.protocolVersion;
    return h;
  }

  /**
   * Sends one request and resolves with its `result`. Throws McpError for a JSON-RPC error answer
   * (and RequestTimeout past timeoutMs, after telling the server to cancel), StreamableHTTPError
   * for an HTTP failure status, the caller's abort reason when `signal` aborts, or the network
   * error. No listener outlives the call.
   */
  async request(method: string, params: Record<string, unknown> | undefined, opts: RpcCallOptions): Promise<Record<string, unknown>> {
    opts.signal?.throwIfAborted();
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params !== undefined ? { params } : {}) });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, opts.timeoutMs);
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await this.dispatcher.request({ origin: this.origin, path: this.path, method: "POST", headers: this.headers(opts), body, signal: controller.signal });
      const type = String(res.headers["content-type"] ?? "");
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
        throw new StreamableHTTPError(res.statusCode, `Error POSTing to endpoint (HTTP ${res.statusCode})`);
      }
      const message = type.includes("text/event-stream") ? await this.readSse(res.body, id, opts) : this.pick(await this.readJson(res.body), id);
      if (!message) throw new StreamableHTTPError(-1, `the answer to ${method} carried no JSON-RPC response with id ${id}`);
      const err = message.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
      if (err) throw new McpError(typeof err.code === "number" ? err.code : ErrorCode.InternalError, String(err.message ?? "error"), err.data);
      return (message.result ?? {}) as Record<string, unknown>;
    } catch (e) {
      if (timedOut || opts.signal?.aborted) {
        this.cancel(id, timedOut ? `timed out after ${opts.timeoutMs} ms` : "the caller cancelled", opts);
        if (timedOut) throw timeoutError(method, opts.timeoutMs);
        throw opts.signal!.reason ?? e;
      }
      throw e;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** A notification (no answer expected): 202 from the server, or an error. */
  notify(method: string, params: Record<string, unknown> | undefined, s: RpcSession & { timeoutMs?: number } = {}): Promise<void> {
    return this.post({ jsonrpc: "2.0", method, ...(params !== undefined ? { params } : {}) }, s);
  }

  /** Answers a request the server sent on a call's stream (a relayed sampling/elicitation answer). */
  respond(response: Record<string, unknown>, s: RpcSession & { timeoutMs?: number } = {}): Promise<void> {
    return this.post(response, s);
  }

  private async post(message: Record<string, unknown>, s: RpcSession & { timeoutMs?: number }): Promise<void> {
    const res = await this.dispatcher.request({
      origin: this.origin,
      path: this.path,
      method: "POST",
      headers: this.headers(s),
      body: JSON.stringify(message),
      headersTimeout: s.timeoutMs ?? 5_000,
      bodyTimeout: s.timeoutMs ?? 5_000,
    });
    await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
    if (res.statusCode < 200 || res.statusCode >= 300) throw new StreamableHTTPError(res.statusCode, `Error POSTing ${typeof message.method === "string" ? message.method : "a response"} (HTTP ${res.statusCode})`);
  }

  /** Tells the server a request is abandoned (best effort: its answer no longer matters). */
  private cancel(requestId: number, reason: string, s: RpcSession) {
    this.notify("notifications/cancelled", { requestId, reason }, { sessionId: s.sessionId, protocolVersion: s.protocolVersion }).catch(() => {});
  }

  private pick(parsed: unknown, id: number): Record<string, unknown> | null {
    const all = Array.isArray(parsed) ? parsed : [parsed];
    for (const m of all) if (m && typeof m === "object" && (m as { id?: unknown }).id === id) return m as Record<string, unknown>;
    return null;
  }

  private async readJson(body: Dispatcher.ResponseData["body"]): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > this.maxBytes) {
        body.destroy();
        throw new StreamableHTTPError(-1, `answer larger than ${this.maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
  }

  /**
   * Reads SSE events until the stream ends; the response with our id is kept, anything else is
   * handed to onMessage. Reading to the end (the server closes the stream after its response)
   * keeps the socket reusable.
   */
  private async readSse(body: Dispatcher.ResponseData["body"], id: number, opts: RpcCallOptions): Promise<Record<string, unknown> | null> {
    const parser = new SseParser();
    let size = 0;
    let found: Record<string, unknown> | null = null;
    body.setEncoding("utf8");
    for await (const chunk of body) {
      size += (chunk as string).length;
      if (size > this.maxBytes) {
        body.destroy();
        throw new StreamableHTTPError(-1, `answer larger than ${this.maxBytes} bytes`);
      }
      for (const data of parser.push(chunk as string)) {
        let m: unknown;
        try {
          m = JSON.parse(data);
        } catch {
          continue; // not a JSON-RPC message (a comment-like payload)
        }
        if (!m || typeof m !== "object") continue;
        const msg = m as Record<string, unknown>;
        if (msg.id === id && !("method" in msg)) found = msg;
        else opts.onMessage?.(msg);
      }
    }
    return found;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => {});
  }
}

/** Incremental text/event-stream parsing: yields each event's data (multi-line data joined by \n). */
export class SseParser {
  private buffer = "";
  private data: string[] = [];

  *push(text: string): Generator<string> {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sepLen = this.buffer.startsWith("\r\n", nl) ? 2 : 1;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (sepLen === 1 && this.buffer[nl] === "\r" && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + sepLen);
      if (line === "") {
        if (this.data.length > 0) yield this.data.join("\n");
        this.data = [];
      } else if (line.startsWith("data:")) {
        this.data.push(line.slice(line[5] === " " ? 6 : 5));
      }
      // event:, id:, retry: and comments carry nothing a JSON-RPC reader needs.
    }
  }
}
