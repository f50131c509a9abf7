/**
 * Programs and arguments for the host backends (local and ssh), built only from validated
 * parameters: every value is one argument (no shell is involved locally; ssh single-quotes each),
 * and options come before `--` where the program supports it, so even a value starting with `-`
 * could not be read as an option (the catalog's alphabets already forbid that).
 */
import type { HostTool } from "./targets";

export interface HostCommand {
  tool: HostTool;
  args: string[];
  env?: Record<string, string>;
  /** Exit codes that still mean success (systemctl status answers 3 for an inactive unit). */
  ok_exit_codes?: number[];
  /** Paths (arguments) that must resolve inside the target's file roots before the command runs. */
  confine?: string[];
}

type P = Record<string, unknown>;
const str = (p: P, k: string) => p[k] as string;
const strs = (p: P, k: string) => (p[k] as string[] | undefined) ?? [];

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

function publish(m: { container_port: number; host_port?: number; protocol: string; host_ip: string }): string {
  const ip = m.host_ip.includes(":") ? `[${m.host_ip}]` : m.host_ip;
  return `${ip}:${m.host_port ?? ""}:${m.container_port}/${m.protocol}`;
}

/** Commands for an operation on a host backend, or null for operations that are not commands (file_*). */
export function hostCommands(operation: string, p: P, packageManager: "apt" | "dnf" | "apk"): HostCommand[] | null {
  switch (operation) {
    case "service_restart":
    case "service_start":
    case "service_stop":
      return [{ tool: "systemctl", args: [operation.slice("service_".length), "--", str(p, "service_name")] }];
    case "service_status":
      return [{ tool: "systemctl", args: ["status", "--no-pager", "--full", `--lines=${p.lines as number}`, "--", str(p, "service_name")], ok_exit_codes: [0, 1, 2, 3] }];

    case "container_create": {
      const args = ["create", "--name", str(p, "container_name"), "--restart", str(p, "restart_policy")];
      for (const [k, v] of Object.entries((p.env as Record<string, string> | undefined) ?? {})) args.push("--env", `${k}=${v}`);
      for (const m of (p.ports as Parameters<typeof publish>[0][] | undefined) ?? []) args.push("--publish", publish(m));
      if (p.memory_mb !== undefined) args.push("--memory", `${p.memory_mb as number}m`);
      if (p.cores !== undefined) args.push("--cpus", String(p.cores));
      args.push("--", str(p, "image"), ...strs(p, "command"));
      const cmds: HostCommand[] = [{ tool: "docker", args }];
      if (p.start === true) cmds.push({ tool: "docker", args: ["start", "--", str(p, "container_name")] });
      return cmds;
    }
    case "container_delete":
      return [{ tool: "docker", args: ["rm", ...(p.force ? ["--force"] : []), ...(p.remove_volumes ? ["--volumes"] : []), "--", str(p, "container_name")] }];
    case "container_start":
      return [{ tool: "docker", args: ["start", "--", str(p, "container_name")] }];
    case "container_stop":
    case "container_restart":
      return [{ tool: "docker", args: [operation.slice("container_".length), "--time", String(p.grace_seconds), "--", str(p, "container_name")] }];
    case "container_inspect":
      return [{ tool: "docker", args: ["container", "inspect", "--", str(p, "container_name")] }];

    case "stack_deploy":
      return [{ tool: "docker", args: ["compose", "--project-name", str(p, "stack_name"), "--file", str(p, "compose_file"), "up", "--detach", "--pull", str(p, "pull")], confine: [str(p, "compose_file")] }];
    case "stack_update":
      return [{ tool: "docker", args: ["compose", "--project-name", str(p, "stack_name"), "--file", str(p, "compose_file"), "up", "--detach", "--pull", "always", "--remove-orphans"], confine: [str(p, "compose_file")] }];
    case "stack_remove":
      return [{ tool: "docker", args: ["compose", "--project-name", str(p, "stack_name"), "down", ...(p.remove_volumes ? ["--volumes"] : [])] }];

    case "network_scan": {
      const ports = (p.ports as number[] | undefined) ?? [];
      return [{ tool: "nmap", args: ["-n", ...(ports.length > 0 ? ["-Pn", "-sT", "-p", ports.join(",")] : ["-sn"]), "-oG", "-", str(p, "subnet")] }];
    }
    case "network_test":
      return p.port !== undefined
        ? [{ tool: "nc", args: ["-z", "-v", "-w", "5", str(p, "host"), String(p.port)] }]
        : [{ tool: "ping", args: ["-n", "-c", String(p.count), "-W", "2", "--", str(p, "host")] }];
    case "network_status":
      return [{ tool: "ip", args: ["-brief", "address", "show", ...(p.interface !== undefined ? ["dev", str(p, "interface")] : [])] }];

    case "package_update":
    case "package_install":
    case "package_remove":
    case "package_list":
      return packageCommands(operation, p, packageManager);
    default:
      return null;
  }
}

function packageCommands(operation: string, p: P, pm: "apt" | "dnf" | "apk"): HostCommand[] {
  const pkgs = strs(p, "packages");
  if (pm === "apt") {
    switch (operation) {
      case "package_update":
        return [
          { tool: "apt-get", args: ["-q", "update"], env: APT_ENV },
          pkgs.length > 0
            ? { tool: "apt-get", args: ["-y", "-q", "install", "--only-upgrade", "--", ...pkgs], env: APT_ENV }
            : { tool: "apt-get", args: ["-y", "-q", "upgrade"], env: APT_ENV },
        ];
      case "package_install":
        return [{ tool: "apt-get", args: ["-y", "-q", "install", "--no-install-recommends", "--", ...pkgs], env: APT_ENV }];
      case "package_remove":
        return [{ tool: "apt-get", args: ["-y", "-q", p.purge ? "purge" : "remove", "--", ...pkgs], env: APT_ENV }];
      default:
        return [{ tool: "dpkg-query", args: ["--show", "--showformat=${Package}\\t${Version}\\n"] }];
    }
  }
  if (pm === "dnf") {
    switch (operation) {
      case "package_update":
        return [{ tool: "dnf", args: ["-y", "--refresh", "upgrade", ...pkgs] }];
      case "package_install":
        return [{ tool: "dnf", args: ["-y", "install", ...pkgs] }];
      case "package_remove":
        return [{ tool: "dnf", args: ["-y", "remove", ...pkgs] }];
      default:
        return [{ tool: "rpm", args: ["--query", "--all", "--queryformat", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"] }];
    }
  }
  switch (operation) {
    case "package_update":
      return [{ tool: "apk", args: ["update"] }, { tool: "apk", args: ["upgrade", ...pkgs] }];
    case "package_install":
      return [{ tool: "apk", args: ["add", ...pkgs] }];
    case "package_remove":
      return [{ tool: "apk", args: ["del", ...(p.purge ? ["--purge"] : []), ...pkgs] }];
    default:
      return [{ tool: "apk", args: ["info", "-v"] }];
  }
}

/** The live-inventory command of a host backend: container names, one per line. */
export const LIST_CONTAINERS: HostCommand = { tool: "docker", args: ["ps", "--all", "--format", "{{.Names}}"] };
