import { readFileSync } from "node:fs";

/** CPU time (user + system) a process has used, in ms (Linux /proc; 0 elsewhere or when gone). */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100; // utime, stime in 1/100 s (CLK_TCK)
  } catch {
    return 0;
  }
}

interface Sql {
  query<T>(text: string): Promise<T[]>;
}

export interface WorkCounts {
  /** CPU µs per unit of work: each named process, this one, the database's Postgres backends. */
  cpu_us: Record<string, number>;
  /** Postgres commits and rows inserted per unit of work (pg_stat_database of the bench database). */
  pg_commits: number;
  pg_rows_inserted: number;
}

/**
 * Work per unit (call, append) of each party, load-independent: the cores are shared, so rates
 * move with other people's work, CPU and round trips per unit much less. Start it, do the work,
 * call the returned function with how many units were done. Postgres backends that left meanwhile
 * are not counted.
 */
export async function workMeter(sql: Sql, pids: Record<string, number | undefined> = {}): Promise<(units: number) => Promise<WorkCounts>> {
  const snap = async () => {
    const backends = (await sql.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).map((r) => r.pid);
    const stats = (
      await sql.query<{ c: string; i: string }>(
        "SELECT pg_stat_force_next_flush(), xact_commit::text AS c, tup_inserted::text AS i FROM pg_stat_database WHERE datname = current_database()",
      )
    )[0];
    return {
      procs: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMsOf(pid)])),
      self: process.cpuUsage(),
      backends: new Map(backends.map((pid) => [pid, cpuMsOf(pid)])),
      stats,
    };
  };
  const a = await snap();
  return async (units) => {
    // Stats are flushed by each backend at the end of its transactions (at most once a second).
    await new Promise((r) => setTimeout(r, 1100));
    const b = await snap();
    const n = Math.max(1, units);
    const per = (ms: number) => Math.round((ms * 1000 * 100) / n) / 100;
    let pg = 0;
    // A backend that connected meanwhile (a lane's connection opens on its first batch) counts whole.
    for (const [pid, ms] of b.backends) pg += ms - (a.backends.get(pid) ?? 0);
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(pids)) cpu[k] = per(b.procs[k] - a.procs[k]);
    cpu.this_process = per((b.self.user - a.self.user + b.self.system - a.self.system) / 1000);
    cpu.postgres = per(pg);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return { cpu_us: cpu, pg_commits: r2((Number(b.stats.c) - Number(a.stats.c)) / n), pg_rows_inserted: r2((Number(b.stats.i) - Number(a.stats.i)) / n) };
  };
}
