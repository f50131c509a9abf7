/**
 * The capability catalog: every operation of seed 002 with its parameter schema (strict: an
 * unknown parameter is refused), its timeout, whether it changes anything, which backends run
 * it, a valid example, and the parameters checked against a target's live inventory.
 */
import { z } from "zod";
import type { AllowlistSource, BackendName, Category } from "../types";
import {
  AbsolutePath,
  BackupId,
  Bool,
  ContainerName,
  dottedName,
  ENV_KEY_RE,
  Host,
  IMAGE_RE,
  Int,
  Note,
  PackageList,
  Port,
  PVE_TEMPLATE_RE,
  PveStorage,
  ServiceName,
  SnapshotName,
  StackName,
  timeoutParam,
  VmId,
} from "./params";

export interface OperationSpec {
  name: string;
  category: Category;
  title: string;
  description: string;
  /** False for read-only operations (status, list, inspect, read, test). */
  mutates: boolean;
  /** Default and maximum run time; a call's `timeout` (seconds) may lower or raise it up to the maximum. */
  timeout: { default_ms: number; max_ms: number };
  backends: readonly BackendName[];
  /** The parameters' zod shape (target_id and dry_run are added by the tool layer). */
  shape: z.ZodRawShape;
  /** Strict object schema of the parameters: the shape plus the cross-field checks. */
  schema: z.ZodObject;
  /** Checks that span several parameters (kept apart so the tool layer can add its own fields). */
  refine?: (params: Record<string, unknown>, ctx: z.RefinementCtx) => void;
  /** Valid parameters (documentation, tests, and the probe call of allowed_operations). */
  example: Record<string, unknown>;
  /** Parameters whose value must be in the target's live inventory (seed 002 `allowlist_source`). */
  allowlists?: Readonly<Record<string, AllowlistSource>>;
}

const s = (n: number) => n * 1000;
const HOST_BACKENDS = ["local", "ssh"] as const satisfies readonly BackendName[];
const CONTAINER_BACKENDS = ["local", "ssh", "docker", "proxmox"] as const satisfies readonly BackendName[];

/** Builds a spec: every operation also takes an optional `timeout` (seconds, up to its maximum). */
function op(spec: Omit<OperationSpec, "schema" | "shape"> & { params: z.ZodRawShape }): OperationSpec {
  const shape: Record<string, z.core.$ZodType> = { ...spec.params };
  if (!("timeout" in shape)) shape.timeout = timeoutParam(spec.timeout.max_ms / 1000);
  const { params: _p, ...rest } = spec;
  return { ...rest, shape, schema: strictParams(shape, spec.refine) };
}

/** A strict object of `shape` with the cross-field checks; unknown keys are named in the error. */
export function strictParams(shape: z.ZodRawShape, refine?: OperationSpec["refine"]): z.ZodObject {
  const o = z.strictObject(shape, { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown parameter${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}: see the operation's schema` : undefined) });
  return refine ? o.superRefine((v, ctx) => refine(v as Record<string, unknown>, ctx)) : o;
}

export const MAX_FILE_BYTES = 1_048_576;

const ServiceParams = { service_name: ServiceName, timeout: timeoutParam(300, 60) };

const GraceSeconds = Int("grace_seconds", 0, 300).default(10).describe("Seconds the container gets to stop before it is killed");

const EnvMap = z
  .record(z.string().regex(ENV_KEY_RE, { error: "environment names are letters, digits and `_`, starting with a letter or `_`" }), Note("an environment value", 1024), {
    error: "env must be an object of NAME: value",
  })
  .refine((m) => Object.keys(m).length <= 32, { error: "env holds at most 32 variables" })
  .describe("Environment variables of the container");

const PortMapping = z.strictObject({
  container_port: Port,
  host_port: Port.optional(),
  protocol: z.enum(["tcp", "udp"], { error: "protocol must be tcp or udp" }).default("tcp"),
  host_ip: z.union([z.ipv4(), z.ipv6()], { error: "host_ip must be an IP address" }).default("127.0.0.1").describe("Address the published port binds to (loopback unless you say otherwise)"),
});

const CommandArgs = z
  .array(Note("a command argument", 256), { error: "command must be a list of arguments" })
  .min(1, { error: "command must hold at least the program" })
  .max(32, { error: "command holds at most 32 arguments" })
  .describe("Command run in the container, as an argument list (no shell)");

const FilePath = AbsolutePath("path").describe("Absolute path inside one of the target's file roots");

export const OPERATIONS: readonly OperationSpec[] = [
  // ---- service (systemd) ----
  ...(["restart", "start", "stop"] as const).map((verb) =>
    op({
      name: `service_${verb}`,
      category: "service",
      title: `${verb[0].toUpperCase()}${verb.slice(1)} a service`,
      description: `systemctl ${verb} of one systemd unit on the target.`,
      mutates: true,
      timeout: { default_ms: s(60), max_ms: s(300) },
      backends: HOST_BACKENDS,
      params: ServiceParams,
      example: { service_name: "nginx", timeout: 60 },
    }),
  ),
  op({
    name: "service_status",
    category: "service",
    title: "Service status",
    description: "systemctl status of one systemd unit (read-only).",
    mutates: false,
    timeout: { default_ms: s(30), max_ms: s(120) },
    backends: HOST_BACKENDS,
    params: { service_name: ServiceName, lines: Int("lines", 0, 200).default(20).describe("Journal lines to include") },
    example: { service_name: "nginx" },
  }),

  // ---- container ----
  op({
    name: "container_create",
    category: "container",
    title: "Create a container",
    description:
      "Creates a container: docker (image, command, env, published ports bound to loopback by default; never privileged, no host mounts) or a Proxmox LXC (template, vmid; unprivileged).",
    mutates: true,
    timeout: { default_ms: s(300), max_ms: s(900) },
    backends: CONTAINER_BACKENDS,
    params: {
      container_name: ContainerName,
      image: z.string({ error: "image must be a string" }).max(255, { error: "image is longer than 255 characters" }).regex(IMAGE_RE, { error: "image must be a docker image reference such as nginx:1.27 or registry.example.com/team/app@sha256:…" }).optional().describe("Docker image (docker, local, ssh)"),
      template: z.string({ error: "template must be a string" }).max(265).regex(PVE_TEMPLATE_RE, { error: "template must be a Proxmox template volume id such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" }).optional().describe("LXC template (proxmox)"),
      vmid: VmId.optional().describe("Guest id of the new LXC (proxmox)"),
      command: CommandArgs.optional(),
      env: EnvMap.optional(),
      ports: z.array(PortMapping, { error: "ports must be a list of port mappings" }).max(16, { error: "ports holds at most 16 mappings" }).optional(),
      restart_policy: z.enum(["no", "always", "unless-stopped", "on-failure"], { error: "restart_policy must be no, always, unless-stopped or on-failure" }).default("no"),
      memory_mb: Int("memory_mb", 16, 1_048_576).optional(),
      cores: Int("cores", 1, 128).optional(),
      disk_gb: Int("disk_gb", 1, 4096).optional().describe("Root disk size (proxmox)"),
      start: Bool("start").default(false).describe("Start the container once created"),
    },
    refine: (p, ctx) => {
      if (p.image === undefined && p.template === undefined) ctx.addIssue({ code: "custom", path: ["image"], message: "name an image (docker, local, ssh) or a template (proxmox)" });
      if (p.image !== undefined && p.template !== undefined) ctx.addIssue({ code: "custom", path: ["template"], message: "image and template exclude each other: image for docker, template for a Proxmox LXC" });
    },
    example: { container_name: "web-1", image: "nginx:1.27", ports: [{ container_port: 80, host_port: 8080 }] },
  }),
  op({
    name: "container_delete",
    category: "container",
    title: "Delete a container",
    description: "Removes one container (force stops it first when asked).",
    mutates: true,
    timeout: { default_ms: s(120), max_ms: s(600) },
    backends: CONTAINER_BACKENDS,
    params: { container_name: ContainerName, force: Bool("force").default(false), remove_volumes: Bool("remove_volumes").default(false) },
    example: { container_name: "web-1" },
    allowlists: { container_name: "list_containers" },
  }),
  ...(["start", "stop", "restart"] as const).map((verb) =>
    op({
      name: `container_${verb}`,
      category: "container",
      title: `${verb[0].toUpperCase()}${verb.slice(1)} a container`,
      description: `${verb[0].toUpperCase()}${verb.slice(1)}s one existing container.`,
      mutates: true,
      timeout: { default_ms: s(120), max_ms: s(600) },
      backends: CONTAINER_BACKENDS,
      params: verb === "start" ? { container_name: ContainerName } : { container_name: ContainerName, grace_seconds: GraceSeconds },
      example: { container_name: "web-1" },
      allowlists: { container_name: "list_containers" },
    }),
  ),
  op({
    name: "container_inspect",
    category: "container",
    title: "Inspect a container",
    description: "The configuration and state of one container (read-only).",
    mutates: false,
    timeout: { default_ms: s(30), max_ms: s(120) },
    backends: CONTAINER_BACKENDS,
    params: { container_name: ContainerName },
    example: { container_name: "web-1" },
    allowlists: { container_name: "list_containers" },
  }),

  // ---- stack (docker compose on the target) ----
  op({
    name: "stack_deploy",
    category: "stack",
    title: "Deploy a stack",
    description: "docker compose up --detach of a compose file inside the target's file roots.",
    mutates: true,
    timeout: { default_ms: s(600), max_ms: s(1800) },
    backends: HOST_BACKENDS,
    params: {
      stack_name: StackName,
      compose_file: AbsolutePath("compose_file").describe("Absolute path of the compose file, inside the target's file roots"),
      pull: z.enum(["missing", "always", "never"], { error: "pull must be missing, always or never" }).default("missing"),
    },
    example: { stack_name: "shop", compose_file: "/srv/stacks/shop/compose.yaml" },
  }),
  op({
    name: "stack_remove",
    category: "stack",
    title: "Remove a stack",
    description: "docker compose down of one project.",
    mutates: true,
    timeout: { default_ms: s(300), max_ms: s(1800) },
    backends: HOST_BACKENDS,
    params: { stack_name: StackName, remove_volumes: Bool("remove_volumes").default(false) },
    example: { stack_name: "shop" },
  }),
  op({
    name: "stack_update",
    category: "stack",
    title: "Update a stack",
    description: "Pulls the stack's images and recreates changed services (docker compose up --detach --pull always).",
    mutates: true,
    timeout: { default_ms: s(600), max_ms: s(1800) },
    backends: HOST_BACKENDS,
    params: { stack_name: StackName, compose_file: AbsolutePath("compose_file").describe("Absolute path of the compose file, inside the target's file roots") },
    example: { stack_name: "shop", compose_file: "/srv/stacks/shop/compose.yaml" },
  }),

  // ---- backup (Proxmox vzdump) ----
  op({
    name: "backup_create",
    category: "backup",
    title: "Create a backup",
    description: "vzdump of one guest to a Proxmox storage.",
    mutates: true,
    timeout: { default_ms: s(3600), max_ms: s(14400) },
    backends: ["proxmox"],
    params: {
      vmid: VmId,
      storage: PveStorage,
      mode: z.enum(["snapshot", "suspend", "stop"], { error: "mode must be snapshot, suspend or stop" }).default("snapshot"),
      compress: z.enum(["zstd", "gzip", "lzo", "0"], { error: "compress must be zstd, gzip, lzo or 0" }).default("zstd"),
      notes: Note("notes", 200).optional(),
    },
    example: { vmid: 101, storage: "local" },
  }),
  op({
    name: "backup_restore",
    category: "backup",
    title: "Restore a backup",
    description: "Restores a vzdump archive over a guest id (force replaces an existing guest).",
    mutates: true,
    timeout: { default_ms: s(3600), max_ms: s(14400) },
    backends: ["proxmox"],
    params: { vmid: VmId, backup_id: BackupId, force: Bool("force").default(false) },
    example: { vmid: 101, backup_id: "local:backup/vzdump-lxc-101-2026_01_01-00_00_00.tar.zst" },
  }),
  op({
    name: "backup_list",
    category: "backup",
    title: "List backups",
    description: "The backups on a Proxmox storage (optionally of one guest).",
    mutates: false,
    timeout: { default_ms: s(60), max_ms: s(300) },
    backends: ["proxmox"],
    params: { storage: PveStorage, vmid: VmId.optional() },
    example: { storage: "local" },
  }),
  op({
    name: "backup_delete",
    category: "backup",
    title: "Delete a backup",
    description: "Deletes one backup volume.",
    mutates: true,
    timeout: { default_ms: s(120), max_ms: s(600) },
    backends: ["proxmox"],
    params: { backup_id: BackupId },
    example: { backup_id: "local:backup/vzdump-lxc-101-2026_01_01-00_00_00.tar.zst" },
  }),

  // ---- snapshot (Proxmox) ----
  op({
    name: "snapshot_create",
    category: "snapshot",
    title: "Create a snapshot",
    description: "Snapshot of one guest (qemu or lxc).",
    mutates: true,
    timeout: { default_ms: s(600), max_ms: s(3600) },
    backends: ["proxmox"],
    params: { vmid: VmId, snapshot_name: SnapshotName, description: Note("description", 200).optional(), include_ram: Bool("include_ram").default(false).describe("qemu only: save the RAM state") },
    example: { vmid: 101, snapshot_name: "before-upgrade" },
  }),
  op({
    name: "snapshot_delete",
    category: "snapshot",
    title: "Delete a snapshot",
    description: "Deletes one snapshot of a guest.",
    mutates: true,
    timeout: { default_ms: s(600), max_ms: s(3600) },
    backends: ["proxmox"],
    params: { vmid: VmId, snapshot_name: SnapshotName },
    example: { vmid: 101, snapshot_name: "before-upgrade" },
  }),
  op({
    name: "snapshot_restore",
    category: "snapshot",
    title: "Roll back to a snapshot",
    description: "Rolls a guest back to one of its snapshots.",
    mutates: true,
    timeout: { default_ms: s(600), max_ms: s(3600) },
    backends: ["proxmox"],
    params: { vmid: VmId, snapshot_name: SnapshotName, start: Bool("start").default(false).describe("Start the guest after the rollback") },
    example: { vmid: 101, snapshot_name: "before-upgrade" },
  }),
  op({
    name: "snapshot_list",
    category: "snapshot",
    title: "List snapshots",
    description: "The snapshots of one guest.",
    mutates: false,
    timeout: { default_ms: s(60), max_ms: s(300) },
    backends: ["proxmox"],
    params: { vmid: VmId },
    example: { vmid: 101 },
  }),

  // ---- file (confined to the target's file roots) ----
  op({
    name: "file_read",
    category: "file",
    title: "Read a file",
    description: "Reads at most max_bytes of one file inside the target's file roots.",
    mutates: false,
    timeout: { default_ms: s(30), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: { path: FilePath, max_bytes: Int("max_bytes", 1, 1_048_576).default(65_536) },
    example: { path: "/srv/app/config.yaml" },
  }),
  op({
    name: "file_write",
    category: "file",
    title: "Write a file",
    description: "Writes one file inside the target's file roots (never through a symlink).",
    mutates: true,
    timeout: { default_ms: s(30), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: {
      path: FilePath,
      content: z.string({ error: "content must be a string" }).max(1_400_000, { error: "content is longer than 1 MiB" }),
      encoding: z.enum(["utf8", "base64"], { error: "encoding must be utf8 or base64" }).default("utf8"),
      mode: z.string({ error: "mode must be a string" }).regex(/^0?[0-7]{3}$/, { error: "mode must be three octal digits such as 644 (no setuid, setgid or sticky bits)" }).default("644"),
      overwrite: Bool("overwrite").default(false),
    },
    refine: (p, ctx) => {
      const content = p.content as string;
      if (p.encoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) ctx.addIssue({ code: "custom", path: ["content"], message: "content is not base64 (letters, digits, + and /, = padding)" });
      const bytes = p.encoding === "base64" ? Buffer.from(content, "base64").length : Buffer.byteLength(content, "utf8");
      if (bytes > MAX_FILE_BYTES) ctx.addIssue({ code: "custom", path: ["content"], message: `content is ${bytes} bytes; at most ${MAX_FILE_BYTES} (1 MiB)` });
      if (p.encoding === "utf8" && content.includes("\0")) ctx.addIssue({ code: "custom", path: ["content"], message: "utf8 content must not hold NUL characters; send binary content as base64" });
    },
    example: { path: "/srv/app/config.yaml", content: "listen: 8080\n", overwrite: true },
  }),
  op({
    name: "file_delete",
    category: "file",
    title: "Delete a file",
    description: "Deletes one file (not a directory) inside the target's file roots.",
    mutates: true,
    timeout: { default_ms: s(30), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: { path: FilePath },
    example: { path: "/srv/app/old.log" },
  }),
  op({
    name: "file_copy",
    category: "file",
    title: "Copy a file",
    description: "Copies one file to another path, both inside the target's file roots.",
    mutates: true,
    timeout: { default_ms: s(30), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: {
      source: AbsolutePath("source").describe("Absolute path of the file to copy"),
      destination: AbsolutePath("destination").describe("Absolute path of the copy"),
      overwrite: Bool("overwrite").default(false),
    },
    refine: (p, ctx) => {
      if (p.source === p.destination) ctx.addIssue({ code: "custom", path: ["destination"], message: "destination is the source" });
    },
    example: { source: "/srv/app/config.yaml", destination: "/srv/app/config.yaml.bak" },
  }),

  // ---- network ----
  op({
    name: "network_scan",
    category: "network",
    title: "Scan a subnet",
    description: "nmap of one small subnet (at most 256 addresses): hosts up, or the listed TCP ports.",
    mutates: false,
    timeout: { default_ms: s(300), max_ms: s(900) },
    backends: HOST_BACKENDS,
    params: {
      subnet: z
        .union([z.cidrv4(), z.cidrv6()], { error: "subnet must be a CIDR such as 10.0.0.0/24" })
        .refine((c) => (c.includes(":") ? Number(c.split("/")[1]) >= 120 : Number(c.split("/")[1]) >= 24), { error: "subnet must be at most 256 addresses (/24 or longer; /120 for IPv6)" }),
      ports: z.array(Port, { error: "ports must be a list of port numbers" }).min(1).max(32, { error: "ports lists at most 32 ports" }).optional(),
    },
    example: { subnet: "10.0.0.0/24", ports: [22, 443] },
  }),
  op({
    name: "network_test",
    category: "network",
    title: "Test connectivity",
    description: "ping of a host, or a TCP connection test to host:port.",
    mutates: false,
    timeout: { default_ms: s(60), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: { host: Host, port: Port.optional(), count: Int("count", 1, 10).default(3) },
    example: { host: "db.internal", port: 5432 },
  }),
  op({
    name: "network_status",
    category: "network",
    title: "Network status",
    description: "Interfaces and addresses of the target (docker: its networks; proxmox: the node's).",
    mutates: false,
    timeout: { default_ms: s(30), max_ms: s(120) },
    backends: ["local", "ssh", "docker", "proxmox"],
    params: { interface: dottedName("interface", 15).optional() },
    example: {},
  }),

  // ---- package ----
  op({
    name: "package_update",
    category: "package",
    title: "Update packages",
    description: "Refreshes the package index and upgrades the listed packages (all when none is listed).",
    mutates: true,
    timeout: { default_ms: s(900), max_ms: s(3600) },
    backends: HOST_BACKENDS,
    params: { packages: PackageList.optional() },
    example: { packages: ["openssl"] },
  }),
  op({
    name: "package_install",
    category: "package",
    title: "Install packages",
    description: "Installs the listed packages.",
    mutates: true,
    timeout: { default_ms: s(900), max_ms: s(3600) },
    backends: HOST_BACKENDS,
    params: { packages: PackageList },
    example: { packages: ["htop"] },
  }),
  op({
    name: "package_remove",
    category: "package",
    title: "Remove packages",
    description: "Removes the listed packages (purge also removes their configuration, apt only).",
    mutates: true,
    timeout: { default_ms: s(900), max_ms: s(3600) },
    backends: HOST_BACKENDS,
    params: { packages: PackageList, purge: Bool("purge").default(false) },
    example: { packages: ["htop"] },
  }),
  op({
    name: "package_list",
    category: "package",
    title: "List packages",
    description: "Installed packages and their versions.",
    mutates: false,
    timeout: { default_ms: s(60), max_ms: s(300) },
    backends: HOST_BACKENDS,
    params: {},
    example: {},
  }),
];
