/** The one interface every execution backend implements. */
import type { OperationSpec } from "../catalog";
import type { OpsConfig } from "../config";
import type { AllowlistSource, BackendName, ConnectivityResult, ExecutionResult, Plan, Target } from "../types";

export interface OpsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a backend gets for one call: the tenant's secrets (by name), the settings, a logger. */
export interface BackendContext {
  tenant: string;
  config: OpsConfig;
  /** The secret's value; throws a clear error naming the reference (never a value) when it is not set. */
  secret(name: string): Promise<string>;
  logger: OpsLogger;
}

export interface RunOptions {
  signal?: AbortSignal;
}

export interface Backend {
  readonly name: BackendName;
  /**
   * Backend-specific checks of validated parameters against the target, before any I/O
   * (a docker target cannot take a Proxmox template; a service outside allowed_services).
   * Returns the problems (empty when fine).
   */
  validate(target: Target, op: OperationSpec, params: Record<string, unknown>): string[];
  /**
   * The exact action. Pure for local, ssh and docker; proxmox reads the cluster's guest list
   * (GET, nothing changes) to find the node and type of a guest.
   */
  plan(ctx: BackendContext, target: Target, op: OperationSpec, params: Record<string, unknown>, timeoutMs: number, opts?: RunOptions): Promise<Plan>;
  /** Runs a plan within its timeout; failures are results (status failed/timed_out/cancelled), not exceptions. */
  execute(ctx: BackendContext, target: Target, plan: Plan, opts?: RunOptions): Promise<ExecutionResult>;
  /** Connects and authenticates (nothing changes), reporting what answered. */
  test(ctx: BackendContext, target: Target, opts?: RunOptions): Promise<ConnectivityResult>;
  /** A live-inventory list (container names), for dynamic allowlists. */
  inventory(ctx: BackendContext, target: Target, source: AllowlistSource, opts?: RunOptions): Promise<string[]>;
}

/** The whole action's deadline and cancellation as one signal, and which of the two fired. */
export function deadline(timeoutMs: number, outer?: AbortSignal) {
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => ctrl.abort(new Error("cancelled"));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ctrl.signal,
    get timedOut() {
      return timedOut;
    },
    remainingMs: (() => {
      const end = Date.now() + timeoutMs;
      return () => Math.max(0, end - Date.now());
    })(),
    done() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}
