import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "@/lib/auth";
import type { McpAnswer } from "../endpoint";
import { RequestRelay, type RelayServices } from "./request-relay";

export const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" } as const;

/** The relay of one /mcp request, or the spec's 404 for a session id that does not hold. */
export async function openRelay(svc: RelayServices, principal: Principal, accept: string | null, sessionId: string | null): Promise<{ relay: RequestRelay } | { refused: McpAnswer }> {
  const opened = await RequestRelay.open(svc, { tenant: principal.tenant, subject: principal.subject }, { accept, sessionId });
  if (opened.ok) return { relay: opened.relay };
  return { refused: { status: 404, body: { jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidRequest, message: `Mcp-Session-Id refused: ${opened.reason}; send initialize for a new session (or no Mcp-Session-Id at all)` } } } };
}

/**
 * Writes an SSE answer to a node:http response with backpressure (a slow reader holds the stream,
 * whose notification queue is bounded); the client going away cancels the stream (and the call).
 */
export async function writeNodeStream(res: ServerResponse, stream: NonNullable<McpAnswer["stream"]>, headers: Record<string, string>): Promise<void> {
  const onClose = () => stream.cancel();
  res.once("close", onClose);
  try {
    res.writeHead(200, { ...headers, ...SSE_HEADERS });
    res.flushHeaders();
    for await (const chunk of stream) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
    res.end();
  } finally {
    res.off("close", onClose);
  }
}

/** The same answer as a web Response body (the Next route). */
export function webStream(stream: NonNullable<McpAnswer["stream"]>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const it = stream[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      stream.cancel();
      void it.return?.();
    },
  });
}

/** GET's standalone stream: nothing is sent on it (relayed traffic rides each call's own stream); it ends when the client leaves or after `maxMs`. */
export function idleStream(signal: AbortSignal, maxMs: number): AsyncIterable<string> & { cancel(): void } {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const timer = setTimeout(stop, maxMs);
  timer.unref?.();
  const onAbort = () => stop();
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    cancel: () => stop(),
    async *[Symbol.asyncIterator]() {
      try {
        // A comment first: proxies and clients see the stream open at once.
        yield ": stream open\n\n";
        await stopped;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
