/** Shared by the backends: running a plan's steps in order under one deadline, and small helpers. */
import type { ExecutionResult, Plan, StepOutcome, ActionStep } from "../types";
import { deadline, type RunOptions } from "./types";

/** Text of file content: UTF-8 when it is, else base64. */
export function contentText(b: Buffer): { encoding: "utf8" | "base64"; content: string } {
  const s = b.toString("utf8");
  return Buffer.from(s, "utf8").equals(b) ? { encoding: "utf8", content: s } : { encoding: "base64", content: b.toString("base64") };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs the steps of a plan in order; the first failing step ends the action. */
export async function runSteps(
  plan: Plan,
  opts: RunOptions | undefined,
  run: (step: ActionStep, index: number, remainingMs: () => number, signal: AbortSignal) => Promise<StepOutcome & { status?: "timed_out" | "cancelled"; ok: boolean; error?: string }>,
): Promise<ExecutionResult> {
  const started = performance.now();
  const dl = deadline(plan.action.timeout_ms, opts?.signal);
  const steps: StepOutcome[] = [];
  let status: ExecutionResult["status"] = "succeeded";
  let error: string | undefined;
  try {
    for (let i = 0; i < plan.action.steps.length; i++) {
      if (dl.signal.aborted) {
        status = dl.timedOut ? "timed_out" : "cancelled";
        error = dl.timedOut ? `timed out after ${plan.action.timeout_ms} ms` : "cancelled";
        break;
      }
      const { ok, status: s, error: err, ...outcome } = await run(plan.action.steps[i], i, dl.remainingMs, dl.signal);
      steps.push(outcome);
      if (!ok) {
        status = s ?? (dl.timedOut ? "timed_out" : dl.signal.aborted ? "cancelled" : "failed");
        error = err ?? (status === "timed_out" ? `timed out after ${plan.action.timeout_ms} ms` : status === "cancelled" ? "cancelled" : undefined);
        break;
      }
    }
  } finally {
    dl.done();
  }
  const last = steps.at(-1);
  return {
    status,
    exit_code: status === "succeeded" ? 0 : (last?.exit_code ?? null),
    duration_ms: Math.round(performance.now() - started),
    steps,
    ...(error !== undefined ? { error } : {}),
    action: plan.action,
  };
}

