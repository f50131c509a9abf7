import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Drives a replica process (./replica.ts) over stdin/stdout JSON lines. */
export interface Replica {
  pid: number;
  send<T = Record<string, unknown>>(cmd: Record<string, unknown>, onEvent?: (e: Record<string, unknown>) => void): Promise<T>;
  close(): Promise<void>;
}

export function startReplica(env: Record<string, string>): Replica {
  const child: ChildProcessWithoutNullStreams = spawn("npx", ["tsx", new URL("./replica.ts", import.meta.url).pathname], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let seq = 0;
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void; onEvent?: (e: Record<string, unknown>) => void }>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const p = pending.get(m.seq as number);
    if (!p) return;
    if (m.event) return p.onEvent?.(m);
    pending.delete(m.seq as number);
    if (m.ok) p.resolve(m as never);
    else p.reject(new Error(String(m.error)));
  });
  child.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`replica exited with ${code}: ${stderr.slice(-2000)}`));
    pending.clear();
  });
  return {
    pid: child.pid ?? -1,
    send(cmd, onEvent) {
      const s = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(s, { resolve: resolve as (v: never) => void, reject, onEvent });
        child.stdin.write(`${JSON.stringify({ ...cmd, seq: s })}\n`);
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      this.send({ op: "exit" }).catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
