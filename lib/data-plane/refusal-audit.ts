import type { AuditInput } from "@/lib/audit/schemas";
import type { Admission } from "./admission";

export const DOOR_REFUSALS_KIND = "door_refusals";

export interface RefusalAuditOptions {
  admission: Pick<Admission, "takeRefused" | "putBack" | "limit">;
  append: (input: AuditInput) => Promise<unknown>;
  /** Whose chain holds the records: refused requests were never authenticated (the platform tenant). */
  tenant: string;
  now: () => Date;
  onError?: (err: unknown) => void;
}

/**
 * Door refusals in the audit log as counted records: a request refused past the in-flight bound
 * was never authenticated nor read, so it has no tenant, subject or tool, and one record per
 * refusal would put the audit log's cost back on the refusal path. Instead each flush writes one
 * `door_refusals` record (in the platform tenant's chain) with how many were refused since the
 * previous one; none when there were none. A count whose record cannot be written is kept for
 * the next flush.
 */
export class RefusalAudit {
  private since: Date;

  constructor(private readonly o: RefusalAuditOptions) {
    this.since = o.now();
  }

  /** Writes the record for the refusals counted since the last flush; returns how many it covered. */
  async flush(): Promise<number> {
    const n = this.o.admission.takeRefused();
    const to = this.o.now();
    if (n === 0) {
      this.since = to;
      return 0;
    }
    const from = this.since;
    try {
      await this.o.append({
        tenant: this.o.tenant,
        kind: DOOR_REFUSALS_KIND,
        decision: "refused",
        reason: `${n} /mcp request(s) refused at the door between ${from.toISOString()} and ${to.toISOString()}: the process was at its limit of ${this.o.admission.limit} requests in flight (DATA_PLANE_MAX_IN_FLIGHT); nothing of them was read or run`,
        data: { count: n, from: from.toISOString(), to: to.toISOString(), limit: this.o.admission.limit },
      });
      this.since = to;
      return n;
    } catch (err) {
      this.o.admission.putBack(n);
      this.o.onError?.(err);
      return 0;
    }
  }

  /** Flushes every `intervalMs`; the returned stop() flushes once more. */
  start(intervalMs: number): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() => this.flush());
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
      await this.flush();
    };
  }
}
