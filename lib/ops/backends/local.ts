/**
 * The local backend: operations on the gateway host itself. Programs only from the operator's
 * allowlist (OPS_LOCAL_BINARIES, absolute paths), started with an argument array (no shell) in
 * their own process group under a deadline; files only inside the target's roots, which lie
 * inside the operator's roots (OPS_LOCAL_ROOTS).
 */
import { constants } from "node:fs";
import { access, realpath } from "node:fs/promises";
import type { OperationSpec } from "../catalog";
import { LIST_CONTAINERS } from "../commands";
import { type LocalOptions, optionsOf, type HostTool } from "../targets";
import type { ActionStep, ConnectivityResult, Plan, Target } from "../types";
import { copyConfined, deleteConfined, readConfined, resolveExisting, writeConfined } from "./confine";
import type { OpsConfig } from "../config";
import { commandsOf, hostProblems, isFileOp, planHost } from "./host-plan";
import { runProcess } from "./process";
import { contentText, errorText, runSteps } from "./steps";
import type { Backend, BackendContext } from "./types";

export class LocalBackendError extends Error {}

function program(ctx: Pick<BackendContext, "config">, tool: HostTool): string {
  const p = ctx.config.local.binaries[tool];
  if (!p) throw new LocalBackendError(`the operator has not allowed ${tool} on the gateway host (OPS_LOCAL_BINARIES)`);
  return p;
}

/** `config` is the operator's (the allowlist of programs is checked in validate, before any I/O). */
export function localBackend(config: OpsConfig): Backend {
  return {
    name: "local",

    validate(target: Target, op: OperationSpec, p: Record<string, unknown>): string[] {
      const o = optionsOf(target, "local");
      const problems = hostProblems(target, op, p, o);
      if (problems.length === 0 && !isFileOp(op)) {
        for (const c of commandsOf(op, p, o)) if (!config.local.binaries[c.tool]) problems.push(`the operator has not allowed ${c.tool} on the gateway host (OPS_LOCAL_BINARIES)`);
      }
      return problems;
    },

    async plan(ctx, target, op, p, timeoutMs) {
      return planHost(target, op, p, optionsOf(target, "local"), timeoutMs, (tool) => program(ctx, tool), "the gateway host (local)");
    },

    async execute(ctx, target, plan, opts) {
      const o: LocalOptions = optionsOf(target, "local");
      return runSteps(plan, opts, async (step, index, remainingMs, signal) => {
        const t0 = performance.now();
        const base = { step: index, exit_code: null, stdout: "", stderr: "", truncated: false };
        const took = () => Math.round(performance.now() - t0);
        if (step.kind === "exec") {
          try {
            for (const c of step.confine ?? []) await resolveExisting(o.file_roots, c);
          } catch (e) {
            return { ...base, ok: false, error: errorText(e), duration_ms: took() };
          }
          const r = await runProcess(step.argv, { env: step.env, timeoutMs: remainingMs(), signal, maxBytes: ctx.config.outputMaxBytes });
          const ok = !r.timed_out && !r.cancelled && !r.spawn_error && r.exit_code !== null && (step.ok_exit_codes ?? [0]).includes(r.exit_code);
          return {
            step: index,
            exit_code: r.exit_code,
            signal: r.signal,
            stdout: r.stdout,
            stderr: r.stderr,
            truncated: r.truncated,
            duration_ms: r.duration_ms,
            ok,
            ...(r.spawn_error ? { error: `cannot start ${r.spawn_error}` } : !ok && r.exit_code !== null ? { error: `${step.argv[0]} exited with ${r.exit_code}` } : {}),
          };
        }
        if (step.kind !== "file") return { ...base, ok: false, error: "the local backend runs commands and file steps only", duration_ms: took() };
        try {
          const data = await fileOp(step, plan, o.file_roots);
          return { ...base, exit_code: 0, data, truncated: Boolean((data as { truncated?: boolean }).truncated), duration_ms: took(), ok: true };
        } catch (e) {
          return { ...base, ok: false, error: errorText(e), duration_ms: took() };
        }
      });
    },

    async test(ctx, target) {
      const t0 = performance.now();
      const o: LocalOptions = optionsOf(target, "local");
      const roots: Record<string, string> = {};
      const programs: Record<string, string> = {};
      let ok = true;
      for (const r of o.file_roots) {
        try {
          roots[r] = `ok (${await realpath(r)})`;
        } catch {
          roots[r] = "missing";
          ok = false;
        }
      }
      for (const [tool, p] of Object.entries(ctx.config.local.binaries)) {
        try {
          await access(p, constants.X_OK);
          programs[tool] = `ok (${p})`;
        } catch {
          programs[tool] = `not executable (${p})`;
        }
      }
      const r: ConnectivityResult = { ok, backend: "local", target: target.id, latency_ms: Math.round(performance.now() - t0), details: { file_roots: roots, programs } };
      return ok ? r : { ...r, error: "a file root is missing" };
    },

    async inventory(ctx, _target, source, opts) {
      if (source !== "list_containers") throw new Error(`unknown inventory ${source}`);
      const r = await runProcess([program(ctx, LIST_CONTAINERS.tool), ...LIST_CONTAINERS.args], { timeoutMs: ctx.config.connectTimeoutMs, signal: opts?.signal, maxBytes: 1024 * 1024 });
      if (r.exit_code !== 0) throw new LocalBackendError(`listing containers failed: ${r.spawn_error ?? (r.stderr.slice(0, 200) || `exit ${r.exit_code}`)}`);
      return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
    },
  };
}

async function fileOp(step: Extract<ActionStep, { kind: "file" }>, plan: Plan, roots: string[]): Promise<Record<string, unknown>> {
  switch (step.op) {
    case "read": {
      const r = await readConfined(roots, step.path, step.max_bytes ?? 65_536);
      return { path: step.path, size: r.size, truncated: r.truncated, ...contentText(r.content) };
    }
    case "write": {
      const content = plan.payload?.content;
      if (!content) throw new Error("file_write plan carries no content");
      const r = await writeConfined(roots, step.path, content, parseInt(step.mode ?? "0644", 8), step.overwrite === true);
      return { path: step.path, ...r, sha256: step.sha256 };
    }
    case "delete":
      return { path: step.path, ...(await deleteConfined(roots, step.path)) };
    case "copy":
      return { source: step.path, destination: step.destination, ...(await copyConfined(roots, step.path, step.destination!, step.overwrite === true)) };
  }
}
