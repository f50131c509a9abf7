import { createHash } from "node:crypto";
import type { Principal } from "@/lib/auth/principal";

/** The lists a standalone stream watches, and the notification each one's change sends. */
export const LISTS = {
  tools: "notifications/tools/list_changed",
  resources: "notifications/resources/list_changed",
  prompts: "notifications/prompts/list_changed",
} as const;
export type ListKind = keyof typeof LISTS;

/** What the caller would get from tools/list, resources/list (with templates) and prompts/list, policy-filtered. */
export interface ListSources {
  tools(principal: Principal): Promise<unknown[]>;
  resources(principal: Principal): Promise<unknown[]>;
  prompts(principal: Principal): Promise<unknown[]>;
}

export interface ListenHubOptions {
  sources: ListSources;
  now: () => number;
  /** Open streams this process holds at most (each is a held connection). */
  maxStreams: number;
  /** Open streams one principal (tenant + subject) holds at most on this process. */
  maxPerPrincipal: number;
  /** A comment is written after this much silence, so proxies keep the connection. */
  keepaliveMs: number;
  /** How often the lists are compared while streams are open. */
  intervalMs: number;
  /** Timers are the hub's own (it runs only while streams are open); tests call tick() instead. */
  timers?: { set(fn: () => void, ms: number): () => void };
  onError?: (err: unknown) => void;
}

export type OpenResult = { ok: true; stream: ListenStream } | { ok: false; reason: "process_full" | "principal_full" };

export interface ListenStream extends AsyncIterable<string> {
  cancel(): void;
}

interface Open {
  principal: Principal;
  /** Groups streams that see the same lists (the lists depend on tenant, subject and roles only). */
  key: string;
  sessionKey: string | null;
  endsAt: number;
  lastWrite: number;
  seen: Partial<Record<ListKind, string>>;
  /** Notifications waiting to be read: at most one per list kind (a change is a change, however many). */
  pending: Set<ListKind>;
  keepalive: boolean;
  closed: boolean;
  wake: (() => void) | null;
}

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("base64url");
const principalKey = (p: Principal) => JSON.stringify([p.tenant, p.subject, [...p.roles].sort()]);
/** Session ids are bearer-like: the hub keeps only their digest. */
export const sessionKeyOf = (sessionId: string) => createHash("sha256").update(sessionId).digest("base64url");

/**
 * The standalone GET streams of session-era clients (2025-06-18/2025-11-25 Streamable HTTP): they
 * carry `notifications/{tools,resources,prompts}/list_changed` when what the caller may see changes
 * (a policy applied on any replica, an upstream's tools changing), and nothing else: relayed
 * traffic rides each request's own stream. Held connections are bounded per process and per
 * principal; each stream ends when its session would expire, when its session is ended (DELETE,
 * on any replica) or when the client leaves. The lists are compared on a timer that runs only
 * while streams are open, once per group of streams that see the same lists.
 */
export class ListenHub {
  private readonly open = new Set<Open>();
  private stopTimer: (() => void) | null = null;
  private ticking: Promise<void> | null = null;

  constructor(private readonly o: ListenHubOptions) {}

  get size(): number {
    return this.open.size;
  }

  /** A stream for `principal`, ending at `endsAt` (ms) at the latest; `sessionId` when it has one. */
  async openStream(principal: Principal, endsAt: number, sessionId: string | null): Promise<OpenResult> {
    if (this.open.size >= this.o.maxStreams) return { ok: false, reason: "process_full" };
    let mine = 0;
    for (const s of this.open) if (s.principal.tenant === principal.tenant && s.principal.subject === principal.subject) mine++;
    if (mine >= this.o.maxPerPrincipal) return { ok: false, reason: "principal_full" };
    const s: Open = {
      principal,
      key: principalKey(principal),
      sessionKey: sessionId === null ? null : sessionKeyOf(sessionId),
      endsAt,
      lastWrite: this.o.now(),
      seen: {},
      pending: new Set(),
      keepalive: false,
      closed: false,
      wake: null,
    };
    // The baseline: a change is measured from what the caller could list when the stream opened.
    this.open.add(s);
    try {
      s.seen = await this.fingerprints(principal);
    } catch (err) {
      // Without a baseline nothing can be compared yet: the first tick sets it.
      this.o.onError?.(err);
    }
    this.ensureTimer();
    return { ok: true, stream: this.streamOf(s) };
  }

  /** Ends the streams opened with this session (DELETE of the session, here or on another replica). */
  endSession(sessionKey: string): void {
    for (const s of this.open) if (s.sessionKey === sessionKey) this.close(s);
  }

  /** Compares the lists of every open stream once; sends what changed, keep-alives, and ends expired streams. */
  tick(): Promise<void> {
    // One comparison at a time: a slow database must not pile ticks up.
    this.ticking ??= this.compare().finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Ends every stream (the process is stopping). */
  closeAll(): void {
    for (const s of [...this.open]) this.close(s);
  }

  private async compare(): Promise<void> {
    const now = this.o.now();
    const groups = new Map<string, Open[]>();
    for (const s of this.open) {
      if (now >= s.endsAt) {
        this.close(s);
        continue;
      }
      groups.set(s.key, [...(groups.get(s.key) ?? []), s]);
    }
    for (const streams of groups.values()) {
      let now: Partial<Record<ListKind, string>>;
      try {
        now = await this.fingerprints(streams[0]!.principal);
      } catch (err) {
        // Unknown is not changed: nothing is sent on a failed comparison.
        this.o.onError?.(err);
        continue;
      }
      for (const s of streams) {
        for (const kind of Object.keys(LISTS) as ListKind[]) {
          const was = s.seen[kind];
          if (was !== undefined && now[kind] !== undefined && was !== now[kind]) s.pending.add(kind);
          if (now[kind] !== undefined) s.seen[kind] = now[kind];
        }
        if (s.pending.size > 0) s.wake?.();
      }
    }
    const at = this.o.now();
    for (const s of this.open) {
      if (s.pending.size === 0 && at - s.lastWrite >= this.o.keepaliveMs) {
        s.keepalive = true;
        s.wake?.();
      }
    }
  }

  private async fingerprints(p: Principal): Promise<Partial<Record<ListKind, string>>> {
    const [tools, resources, prompts] = await Promise.all([this.o.sources.tools(p), this.o.sources.resources(p), this.o.sources.prompts(p)]);
    return { tools: digest(tools), resources: digest(resources), prompts: digest(prompts) };
  }

  private close(s: Open): void {
    if (s.closed) return;
    s.closed = true;
    this.open.delete(s);
    s.wake?.();
    if (this.open.size === 0) {
      this.stopTimer?.();
      this.stopTimer = null;
    }
  }

  private ensureTimer(): void {
    if (this.stopTimer || !this.o.timers) return;
    this.stopTimer = this.o.timers.set(() => {
      void this.tick().catch((err: unknown) => this.o.onError?.(err));
    }, this.o.intervalMs);
  }

  private streamOf(s: Open): ListenStream {
    const close = () => this.close(s);
    const now = () => this.o.now();
    return {
      cancel: close,
      async *[Symbol.asyncIterator]() {
        try {
          // A comment first: the client and any proxy see the stream open at once.
          yield ": stream open\n\n";
          for (;;) {
            if (s.pending.size === 0 && !s.keepalive && !s.closed) await new Promise<void>((resolve) => (s.wake = resolve));
            s.wake = null;
            if (s.closed) return;
            for (const kind of [...s.pending]) {
              s.pending.delete(kind);
              s.lastWrite = now();
              yield `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: LISTS[kind] })}\n\n`;
            }
            if (s.keepalive) {
              s.keepalive = false;
              s.lastWrite = now();
              yield ": keep-alive\n\n";
            }
          }
        } finally {
          close();
        }
      },
    };
  }
}

/** Real timers for the hub (unref'd: open streams alone do not keep a process alive). */
export const intervalTimers = {
  set(fn: () => void, ms: number): () => void {
    const t = setInterval(fn, ms);
    t.unref?.();
    return () => clearInterval(t);
  },
};
