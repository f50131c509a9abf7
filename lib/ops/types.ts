/** Shared types of the ops domain: backends, roles, targets, actions and outcomes. */

export const BACKENDS = ["local", "ssh", "docker", "proxmox"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** seed 002's target roles. A call's role comes only from its target in the inventory. */
export const TARGET_ROLES = ["gateway", "production", "staging", "development", "testing", "maintenance"] as const;
export type TargetRole = (typeof TARGET_ROLES)[number];

/** Programs the host backends (local, ssh) run, by the name the command builders use. */
export const HOST_TOOLS = ["systemctl", "docker", "apt-get", "dpkg-query", "dnf", "rpm", "apk", "ping", "nc", "ip", "nmap", "env", "timeout"] as const;
export type HostTool = (typeof HOST_TOOLS)[number];

export const CATEGORIES = ["service", "container", "stack", "backup", "snapshot", "file", "network", "package"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Live-inventory lists a parameter can be checked against (seed 002's `allowlist_source`). */
export const ALLOWLIST_SOURCES = ["list_containers"] as const;
export type AllowlistSource = (typeof ALLOWLIST_SOURCES)[number];

export interface MaintenanceWindow {
  /** ISO days, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** `HH:MM`, inclusive. */
  start: string;
  /** `HH:MM`, exclusive; earlier than start wraps past midnight. */
  end: string;
  timezone: string;
}

/** A validated target (lib/ops/targets.ts turns a database row into this). */
export interface Target<O = Record<string, unknown>> {
  tenantId: string;
  id: string;
  name: string;
  backend: BackendName;
  address: string | null;
  port: number | null;
  role: TargetRole;
  tags: string[];
  maintenanceWindows: MaintenanceWindow[];
  /** Name of the secret holding the credential (SSH private key, Proxmox API token); never the secret. */
  credentialRef: string | null;
  options: O;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One step of a backend action, described completely enough to show before it runs. */
export type ActionStep =
  | {
      kind: "exec";
      /** argv[0] is the program as run: an absolute path (local) or the remote program name/path (ssh). */
      argv: string[];
      /** Extra environment (local: passed to the process; ssh: `env K=V` prefix). */
      env?: Record<string, string>;
      /** ssh: the exact remote command line (each argument single-quoted). */
      command?: string;
      /** Exit codes that still mean success (default: 0 only). */
      ok_exit_codes?: number[];
      /** Paths among the arguments that must resolve inside the target's file roots before it runs. */
      confine?: string[];
    }
  | {
      kind: "file";
      op: "read" | "write" | "delete" | "copy";
      path: string;
      /** file_copy: the destination. */
      destination?: string;
      /** The per-target root the path must stay inside (after symlinks are resolved). */
      root: string;
      max_bytes?: number;
      /** file_write: size and SHA-256 of the content (the content itself is not part of the description). */
      bytes?: number;
      sha256?: string;
      mode?: string;
      overwrite?: boolean;
    }
  | {
      kind: "http";
      method: "GET" | "POST" | "PUT" | "DELETE";
      /** Path below the API root (docker: below the version prefix; proxmox: below /api2/json). */
      path: string;
      query?: Record<string, string | number | boolean>;
      body?: Record<string, unknown>;
      /** proxmox: the response is a task id (UPID) to wait for. */
      wait_task?: boolean;
    };

/** What a backend will do for one operation: shown by simulate and dry runs, run verbatim by execute. */
export interface BackendAction {
  backend: BackendName;
  operation: string;
  target: { id: string; address: string | null; port: number | null };
  mutates: boolean;
  timeout_ms: number;
  steps: ActionStep[];
  /** One line for people: `systemctl restart -- nginx` on `deploy@10.0.0.5:22`. */
  summary: string;
}

/** An action and what it needs that is not part of its description (file content). */
export interface Plan {
  action: BackendAction;
  payload?: { content?: Buffer };
}

export type ExecutionStatus = "succeeded" | "failed" | "timed_out" | "cancelled";

export interface StepOutcome {
  /** Index into action.steps. */
  step: number;
  exit_code: number | null;
  signal?: string | null;
  /** HTTP status (docker, proxmox). */
  http_status?: number;
  stdout: string;
  stderr: string;
  /** Structured data (JSON answers, directory listings), bounded and redacted. */
  data?: unknown;
  truncated: boolean;
  duration_ms: number;
}

export interface ExecutionResult {
  status: ExecutionStatus;
  /** Exit code of the last step run (0 when every step succeeded); null when none finished. */
  exit_code: number | null;
  duration_ms: number;
  steps: StepOutcome[];
  /** Why it failed, timed out or was cancelled (redacted). */
  error?: string;
  action: BackendAction;
}

export interface ConnectivityResult {
  ok: boolean;
  backend: BackendName;
  target: string;
  latency_ms: number;
  /** What was checked and what answered (versions, host key fingerprint). */
  details: Record<string, unknown>;
  error?: string;
}
