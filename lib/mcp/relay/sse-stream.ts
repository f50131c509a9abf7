import type { RpcMessage } from "./types";

/** At most this many notifications wait for a slow reader; past it, new ones are dropped (counted). */
export const MAX_QUEUED_NOTIFICATIONS = 256;

/** One text/event-stream event carrying a JSON-RPC message. */
export function sseEvent(message: RpcMessage, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * The caller's SSE answer to one request: notifications and server→client requests while the
 * call runs, then its response, then the end. A pull stream (the HTTP writer reads it at its own
 * pace) with a bounded queue: progress and log notifications past the bound are dropped (they are
 * lossy by nature), requests and the response never are (their number is bounded by the relay).
 * The reader going away (client disconnect) calls `onCancel` once.
 */
export class RelayStream implements AsyncIterable<string> {
  private readonly queue: string[] = [];
  private notifications = 0;
  private wake?: () => void;
  private ended = false;
  private cancelled = false;
  private seq = 0;
  /** Notifications dropped because the reader was too slow. */
  dropped = 0;

  constructor(
    private readonly onCancel: () => void,
    private readonly maxQueued = MAX_QUEUED_NOTIFICATIONS,
  ) {}

  get closed(): boolean {
    return this.ended || this.cancelled;
  }

  /** A notification; false when dropped (queue full or stream over). */
  notify(message: RpcMessage): boolean {
    if (this.closed) return false;
    if (this.notifications >= this.maxQueued) {
      this.dropped++;
      return false;
    }
    this.notifications++;
    this.push(sseEvent(message, ++this.seq), true);
    return true;
  }

  /** A request to the caller or the final response: never dropped while the stream is open. */
  send(message: RpcMessage): boolean {
    if (this.closed) return false;
    this.push(sseEvent(message, ++this.seq), false);
    return true;
  }

  /** Ends the stream after `last` (the response). */
  end(last?: RpcMessage): void {
    if (this.closed) return;
    if (last) this.push(sseEvent(last, ++this.seq), false);
    this.ended = true;
    this.wakeReader();
  }

  /** The reader is gone: nothing more is queued, and the call under it is told. */
  cancel(): void {
    if (this.cancelled) return;
    const wasOpen = !this.ended;
    this.cancelled = true;
    this.queue.length = 0;
    this.wakeReader();
    if (wasOpen) this.onCancel();
  }

  private push(text: string, notification: boolean) {
    // A marker prefix keeps the notification count exact without a parallel queue.
    this.queue.push(notification ? `n${text}` : `r${text}`);
    this.wakeReader();
  }

  private wakeReader() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          if (next[0] === "n") this.notifications--;
          yield next.slice(1);
          continue;
        }
        if (this.ended || this.cancelled) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // A reader that stops early (disconnect, error) cancels; a drained, ended stream does not.
      if (!this.ended) this.cancel();
    }
  }
}
