/**
 * One app replica for the cross-process tests and the benchmark: its own Postgres pool, its own
 * Redis connections, its own approval service. Commands arrive as JSON lines on stdin, answers
 * leave as JSON lines on stdout. Times are wall-clock milliseconds with sub-ms precision
 * (performance.timeOrigin + performance.now()), comparable between processes on one machine.
 */
import { createInterface } from "node:readline";
import { openDb } from "@/lib/db/client";
import { redisKv } from "@/lib/redis";
import { createApprovalService } from "../service";

const { DATABASE_URL, REDIS_URL, APPROVAL_NS, HMAC_SECRET, APPROVAL_BACKSTOP_MS } = process.env;
if (!DATABASE_URL || !REDIS_URL || !APPROVAL_NS || !HMAC_SECRET) {
  console.error("replica needs DATABASE_URL, REDIS_URL, APPROVAL_NS and HMAC_SECRET");
  process.exit(2);
}

const wall = () => performance.timeOrigin + performance.now();
const db = openDb({ url: DATABASE_URL, poolSize: 10 });
const kv = redisKv(REDIS_URL, 2000);
// APPROVAL_BACKSTOP_MS: the waiters' Postgres re-read interval; a test sets it past its waits so
// that any wake-up it sees was the pub/sub one.
const svc = createApprovalService({
  prisma: db.prisma,
  kv,
  hmacSecret: HMAC_SECRET,
  namespace: APPROVAL_NS,
  waitBackstopMs: APPROVAL_BACKSTOP_MS ? Number(APPROVAL_BACKSTOP_MS) : undefined,
  log: { warn() {}, error: (o, m) => console.error(m, o) },
});

type Cmd =
  | { seq: number; op: "ready" }
  | { seq: number; op: "create"; input: Parameters<typeof svc.create>[0] }
  | { seq: number; op: "wait"; id: string; timeoutMs: number }
  | { seq: number; op: "decide"; id: string; tenant: string; approver: string; decision: "approved" | "rejected" }
  | { seq: number; op: "exit" };

const reply = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);

async function run(cmd: Cmd) {
  try {
    switch (cmd.op) {
      case "ready":
        await svc.bus.ready();
        await db.sql.query("SELECT 1");
        return reply({ seq: cmd.seq, ok: true, pid: process.pid });
      case "create": {
        const r = await svc.create(cmd.input);
        return reply({ seq: cmd.seq, ok: true, approval: r.approval });
      }
      case "wait": {
        const started = wall();
        const r = await svc.waitForResolution(cmd.id, cmd.timeoutMs, { onWaiting: () => reply({ seq: cmd.seq, event: "waiting", at: wall() }) });
        return reply({ seq: cmd.seq, ok: true, result: r, started, woke: wall(), pid: process.pid });
      }
      case "decide": {
        const sent = wall();
        const r = await svc.decide({ id: cmd.id, tenant: cmd.tenant, approver: cmd.approver, decision: cmd.decision, via: "api", requireSignature: false });
        return reply({ seq: cmd.seq, ok: true, result: r, sent, done: wall(), pid: process.pid });
      }
      case "exit":
        await svc.close();
        await kv.close();
        await db.prisma.$disconnect();
        await db.sql.close();
        reply({ seq: cmd.seq, ok: true });
        process.exit(0);
    }
  } catch (err) {
    reply({ seq: cmd.seq, ok: false, error: String((err as Error).message ?? err) });
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim()) void run(JSON.parse(line) as Cmd);
});
