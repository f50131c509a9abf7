import { EventListeners } from "@/lib/events/listeners";
import type { KvStore } from "@/lib/redis";
import type { ApprovalView } from "./schemas";
import type { RefusalCodeExtra } from "./service";
import type { ApprovalStatus, RefusalCode, VoteDecision } from "./state-machine";

/**
 * Lifecycle events, for the audit log (and metrics). The approvals code does not depend on the
 * audit module: the composition root registers a listener on its ApprovalEvents.
 */
export type ApprovalEvent =
  | { kind: "approval_request"; approval: ApprovalView; actor: string }
  | { kind: "approval_vote"; approval: ApprovalView; actor: string; vote: { decision: VoteDecision; comment: string | null; via: string } }
  | { kind: "approval_resolution"; approval: ApprovalView; actor: string }
  | { kind: "approval_executed"; approval: ApprovalView; actor: string }
  | { kind: "approval_refused"; approvalId: string; tenant: string; actor: string; action: "vote" | "execute" | "code"; code: RefusalCode | RefusalCodeExtra; message: string }
  | { kind: "approval_code_revealed"; approvalId: string; tenant: string; actor: string };

export type ApprovalEventListener = (event: ApprovalEvent) => void | Promise<void>;

/** The listeners of approval events (one set per composition root). */
export class ApprovalEvents extends EventListeners<ApprovalEvent> {}

/** What crosses replicas: a state change of one approval. */
export interface BusMessage {
  id: string;
  tenant: string;
  status: ApprovalStatus;
  at: number;
}

/**
 * One Redis subscription per process on one channel, fanned out locally by approval id: a waiter
 * registers a local listener (no Redis round trip), which keeps the wake-up to one PUBLISH.
 */
export class ApprovalBus {
  private byId = new Map<string, Set<(m: BusMessage) => void>>();
  private subscription?: Promise<() => Promise<void>>;

  constructor(
    private kv: KvStore,
    private channel: string,
  ) {}

  ready(): Promise<void> {
    this.subscription ??= this.kv
      .subscribe(this.channel, (raw) => {
        let m: BusMessage;
        try {
          m = JSON.parse(raw) as BusMessage;
        } catch {
          return;
        }
        for (const fn of this.byId.get(m.id) ?? []) fn(m);
      })
      .catch((err) => {
        this.subscription = undefined;
        throw err;
      });
    return this.subscription.then(() => undefined);
  }

  on(id: string, fn: (m: BusMessage) => void): () => void {
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.byId.delete(id);
    };
  }

  /** Also delivered locally at once, so a waiter in this process does not depend on Redis. */
  async publish(m: BusMessage): Promise<void> {
    for (const fn of this.byId.get(m.id) ?? []) fn(m);
    await this.kv.publish(this.channel, JSON.stringify(m));
  }

  async close(): Promise<void> {
    const s = this.subscription;
    this.subscription = undefined;
    if (s) await (await s.catch(() => async () => {}))();
  }
}
