/**
 * Plans and checks shared by the two host backends (local: the gateway host; ssh: a remote host):
 * commands from lib/ops/commands.ts, file steps confined to the target's roots.
 */
import { createHash } from "node:crypto";
import type { OperationSpec } from "../catalog";
import { hostCommands, type HostCommand } from "../commands";
import type { HostTool } from "../targets";
import type { ActionStep, BackendAction, Plan, Target } from "../types";
import { rootOf } from "./confine";

export interface HostOptions {
  file_roots: string[];
  allowed_services?: string[];
  package_manager: "apt" | "dnf" | "apk";
}

const FILE_OPS = new Set(["file_read", "file_write", "file_delete", "file_copy"]);

/** Problems of validated parameters on a host target (before any I/O). */
export function hostProblems(target: Target, op: OperationSpec, p: Record<string, unknown>, o: HostOptions): string[] {
  const problems: string[] = [];
  if (op.category === "service" && o.allowed_services && !o.allowed_services.includes(p.service_name as string))
    problems.push(`service_name ${String(p.service_name)} is not in target ${target.id}'s allowed_services (${o.allowed_services.join(", ") || "none"})`);
  if (op.name === "container_create") {
    if (p.image === undefined) problems.push(`container_create on a ${target.backend} target runs docker: name an image`);
    for (const k of ["template", "vmid", "disk_gb"]) if (p[k] !== undefined) problems.push(`${k} applies to Proxmox targets, not ${target.backend}`);
  }
  const paths = FILE_OPS.has(op.name)
    ? [p.path, p.source, p.destination].filter((x): x is string => typeof x === "string")
    : typeof p.compose_file === "string"
      ? [p.compose_file]
      : [];
  for (const path of paths) {
    try {
      rootOf(o.file_roots, path);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}

/** The commands of an operation; throws for an operation a host backend does not run as commands. */
export function commandsOf(op: OperationSpec, p: Record<string, unknown>, o: HostOptions): HostCommand[] {
  const cmds = hostCommands(op.name, p, o.package_manager);
  if (!cmds) throw new Error(`${op.name} is not a command`);
  return cmds;
}

export function isFileOp(op: OperationSpec): boolean {
  return FILE_OPS.has(op.name);
}

/** A file operation as one described step (content is described by size and hash, never included). */
export function fileStep(op: OperationSpec, p: Record<string, unknown>, o: HostOptions): { step: ActionStep; content?: Buffer } {
  const path = (p.path ?? p.source) as string;
  const root = rootOf(o.file_roots, path);
  switch (op.name) {
    case "file_read":
      return { step: { kind: "file", op: "read", path, root, max_bytes: p.max_bytes as number } };
    case "file_write": {
      const content = Buffer.from(p.content as string, p.encoding === "base64" ? "base64" : "utf8");
      return {
        step: { kind: "file", op: "write", path, root, bytes: content.length, sha256: createHash("sha256").update(content).digest("hex"), mode: (p.mode as string).padStart(4, "0"), overwrite: p.overwrite as boolean },
        content,
      };
    }
    case "file_delete":
      return { step: { kind: "file", op: "delete", path, root } };
    default:
      rootOf(o.file_roots, p.destination as string);
      return { step: { kind: "file", op: "copy", path, destination: p.destination as string, root, overwrite: p.overwrite as boolean } };
  }
}

export function action(target: Target, op: OperationSpec, timeoutMs: number, steps: ActionStep[], where: string): BackendAction {
  const first = steps[0];
  const what =
    first.kind === "exec"
      ? (first.command ?? first.argv.join(" "))
      : first.kind === "file"
        ? `${first.op} ${first.path}${first.destination ? ` → ${first.destination}` : ""}`
        : `${first.method} ${first.path}`;
  return {
    backend: target.backend,
    operation: op.name,
    target: { id: target.id, address: target.address, port: target.port },
    mutates: op.mutates,
    timeout_ms: timeoutMs,
    steps,
    summary: `${what}${steps.length > 1 ? ` (+${steps.length - 1} more step${steps.length > 2 ? "s" : ""})` : ""} on ${where}`,
  };
}

/** A plan for a host target: command steps (programs resolved by `program`) or one file step. */
export function planHost(target: Target, op: OperationSpec, p: Record<string, unknown>, o: HostOptions, timeoutMs: number, program: (tool: HostTool) => string, where: string, wrap?: (argv: string[], env?: Record<string, string>) => string): Plan {
  if (isFileOp(op)) {
    const { step, content } = fileStep(op, p, o);
    return { action: action(target, op, timeoutMs, [step], where), ...(content ? { payload: { content } } : {}) };
  }
  const steps: ActionStep[] = commandsOf(op, p, o).map((c) => {
    const argv = [program(c.tool), ...c.args];
    return {
      kind: "exec",
      argv,
      ...(c.env ? { env: c.env } : {}),
      ...(wrap ? { command: wrap(argv, c.env) } : {}),
      ...(c.ok_exit_codes ? { ok_exit_codes: c.ok_exit_codes } : {}),
      ...(c.confine ? { confine: c.confine } : {}),
    };
  });
  return { action: action(target, op, timeoutMs, steps, where) };
}
