/**
 * Child processes for the local backend: an argument array handed to execve (never a shell), a
 * minimal environment, its own process group, and a deadline. At the deadline (or on abort) the
 * whole group gets SIGTERM, then SIGKILL after a grace period, so a program that forks cannot
 * leave children behind; the result comes once the process has been reaped.
 */
import { spawn } from "node:child_process";
import { BoundedOutput } from "../output";

export interface ProcessResult {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timed_out: boolean;
  cancelled: boolean;
  duration_ms: number;
  /** Could not start (ENOENT, EACCES): the message. */
  spawn_error?: string;
}

export interface ProcessOptions {
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

const BASE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };

export function runProcess(argv: readonly string[], opts: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const stdout = new BoundedOutput(opts.maxBytes);
  const stderr = new BoundedOutput(opts.maxBytes);
  return new Promise((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (r: Partial<ProcessResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({
        exit_code: null,
        signal: null,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        timed_out: timedOut,
        cancelled,
        duration_ms: Math.round(performance.now() - started),
        ...r,
      });
    };
    if (opts.signal?.aborted) {
      cancelled = true;
      finish({});
      return;
    }
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...BASE_ENV, ...opts.env } as unknown as NodeJS.ProcessEnv,
      windowsHide: true,
    });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      killTimer = setTimeout(() => {
        killGroup("SIGKILL");
        // A descendant that left the group may still hold the pipes: stop waiting for them.
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, 1000).unref();
      }, opts.killGraceMs ?? 2000);
    };
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout!.on("data", (d: Buffer) => stdout.push(d));
    child.stderr!.on("data", (d: Buffer) => stderr.push(d));
    child.on("error", (err) => finish({ spawn_error: `${argv[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    child.on("close", (code, sig) => {
      // The leader is reaped; whatever it left in its group (a program that daemonizes properly
      // leaves the group with setsid) dies with it, so no call leaves processes behind.
      killGroup("SIGKILL");
      finish({ exit_code: code, signal: sig });
    });
  });
}
