import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { callerRelay, type CallerContext } from "./call-relay";
import { RelayStream } from "./sse-stream";
import type { CallRelay } from "./types";

export type Reply = object | null;
export type StreamedOrJson = { status: 200; body: Reply } | { status: 200; stream: RelayStream };

/**
 * Runs one request with a relay to the caller and answers JSON when nothing was relayed before
 * the reply (the common call: no stream set up at all), else an SSE stream that carries what was
 * relayed, then the reply. The stream's reader going away (the client disconnected) aborts the
 * call, which tells the upstream (notifications/cancelled); the call ending ends every relayed
 * request still waiting for the client.
 */
export async function answerWithRelay(
  id: string | number,
  run: (relay: CallRelay, signal: AbortSignal) => Promise<Reply>,
  ctx: CallerContext,
  progressToken: string | number | undefined,
  callerSignal: AbortSignal,
): Promise<StreamedOrJson> {
  const life = new AbortController();
  const onAbort = () => life.abort(callerSignal.reason);
  if (callerSignal.aborted) onAbort();
  else callerSignal.addEventListener("abort", onAbort, { once: true });
  const stream = new RelayStream(() => life.abort(new Error("the client closed the stream")));
  let wrote = false;
  let upgrade!: () => void;
  const upgraded = new Promise<void>((resolve) => (upgrade = resolve));
  const sink = {
    notify: (m: Record<string, unknown>) => {
      wrote = true;
      upgrade();
      return stream.notify(m);
    },
    send: (m: Record<string, unknown>) => {
      wrote = true;
      upgrade();
      return stream.send(m);
    },
  };
  const done = run(callerRelay(sink, ctx, progressToken, life.signal), life.signal).finally(() => {
    callerSignal.removeEventListener("abort", onAbort);
  });
  const settled = done.then(
    (reply) => ({ reply }),
    (error: unknown) => ({ error }),
  );
  const first = await Promise.race([settled, upgraded.then(() => null)]);
  if (first && !wrote) {
    life.abort();
    if ("error" in first) throw first.error;
    return { status: 200, body: first.reply };
  }
  void settled.then((r) => {
    if ("error" in r) {
      const message = r.error instanceof Error ? r.error.message : String(r.error);
      stream.end({ jsonrpc: "2.0", id, error: { code: ErrorCode.InternalError, message: `the call failed: ${message}` } });
    } else {
      stream.end(r.reply ? (r.reply as Record<string, unknown>) : undefined);
    }
    life.abort();
  });
  return { status: 200, stream };
}
