/**
 * The targets inventory: what an admin may write (per backend, strict), the row → target
 * conversion (the JSON columns re-validated on every read: a row edited by hand cannot widen
 * what a backend does), maintenance windows, and the rules that keep the gateway host for the
 * operator (local targets and docker sockets act on the machine the gateway runs on).
 */
import { z } from "zod";
import type { OpsTargetRow, OpsTargetWrite } from "@/lib/db/ops-targets";
import { badRequest, forbidden } from "@/lib/errors";
import { compileWindow, dayNumber, HHMM_RE, isValidTimeZone } from "@/lib/policy/time-window";
import { AbsolutePath, Host, Port, ServiceName, TARGET_ID_RE, TargetId } from "./catalog/params";
import type { OpsConfig } from "./config";
import { BACKENDS, type BackendName, HOST_TOOLS, type MaintenanceWindow, type Target, TARGET_ROLES } from "./types";

/** Secret names: upper-case words joined by single `_` (`PROD_WEB_SSH_KEY`). The resolver scopes them to the tenant. */
export const SECRET_REF_RE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
export const SecretRef = (what: string) =>
  z
    .string({ error: `${what} must be the name of a secret` })
    .max(64, { error: `${what} is longer than 64 characters` })
    .regex(SECRET_REF_RE, { error: `${what} must name a secret (upper-case letters, digits and single underscores, e.g. PROD_WEB_SSH_KEY), never hold one` });

const Tag = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,62}$/, { error: "tags are lowercase letters, digits and `_ . : -`, at most 63" });

export const MaintenanceWindowSchema = z
  .strictObject({
    days: z
      .array(z.union([z.number(), z.string()]), { error: "days must be a list of days" })
      .min(1, { error: "days must list at least one day" })
      .max(7)
      .refine((ds) => ds.every((d) => dayNumber(d) !== null), { error: "days are 1–7 (Monday = 1, Sunday = 7 or 0) or names such as mon, friday" })
      .transform((ds) => [...new Set(ds.map((d) => dayNumber(d)!))].sort()),
    start: z.string().regex(HHMM_RE, { error: "start must be a time of day HH:MM" }),
    end: z.string().regex(HHMM_RE, { error: "end must be a time of day HH:MM" }),
    timezone: z.string().refine(isValidTimeZone, { error: "timezone must be an IANA time zone such as UTC or Europe/Paris" }).default("UTC"),
  });

const FileRoots = z.array(AbsolutePath("a file root"), { error: "file_roots must be a list of absolute paths" }).max(16, { error: "file_roots lists at most 16 roots" }).default([]);
const AllowedServices = z.array(ServiceName, { error: "allowed_services must be a list of service names" }).max(200).optional();
const PackageManager = z.enum(["apt", "dnf", "apk"], { error: "package_manager must be apt, dnf or apk" }).default("apt");

export { HOST_TOOLS, type HostTool } from "./types";

/** An absolute path whose file name is the tool's own name: `/usr/bin/systemctl` for systemctl, never `/bin/sh`. */
const ToolPaths = z
  .partialRecord(z.enum(HOST_TOOLS), AbsolutePath("a program path"))
  .superRefine((m, ctx) => {
    for (const [tool, p] of Object.entries(m)) {
      if (p.split("/").pop() !== tool) ctx.addIssue({ code: "custom", path: [tool], message: `the program for ${tool} must be a file named ${tool} (got ${p})` });
    }
  });

export const LocalOptionsSchema = z.strictObject({
  file_roots: FileRoots,
  allowed_services: AllowedServices,
  package_manager: PackageManager,
});

/** An OpenSSH public key line: `ssh-ed25519 AAAA… [comment]`. */
export const OPENSSH_KEY_RE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-ed448) ([A-Za-z0-9+/]{16,4096}={0,3})(?: [\x21-\x7e ]{0,200})?$/;

export const SshOptionsSchema = z.strictObject({
  username: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { error: "username must be a login name (lowercase letters, digits, `_ . -`)" }),
  /** The pinned host keys: the server must present one of them, or the connection is refused before authentication. */
  host_keys: z.array(z.string().regex(OPENSSH_KEY_RE, { error: "host keys are OpenSSH public key lines such as `ssh-ed25519 AAAA…`" })).max(8).default([]),
  passphrase_ref: SecretRef("passphrase_ref").optional(),
  file_roots: FileRoots,
  allowed_services: AllowedServices,
  package_manager: PackageManager,
  /** Remote program paths (each named like its tool); unset tools run by name from the remote PATH. */
  binaries: ToolPaths.default({}),
  /** Wrap remote commands in coreutils `timeout`, so a hung command dies on the host too. */
  remote_timeout: z.boolean().default(true),
});

export const DockerOptionsSchema = z.strictObject({
  /** A Unix socket on the gateway host (only those the operator lists in OPS_DOCKER_SOCKETS). */
  socket_path: AbsolutePath("socket_path").optional(),
  tls: z
    .strictObject({
      ca_ref: SecretRef("tls.ca_ref"),
      cert_ref: SecretRef("tls.cert_ref").optional(),
      key_ref: SecretRef("tls.key_ref").optional(),
    })
    .refine((t) => (t.cert_ref === undefined) === (t.key_ref === undefined), { error: "tls.cert_ref and tls.key_ref go together (client certificate and its key)" })
    .optional(),
  api_version: z.string().regex(/^v1\.\d{2}$/, { error: "api_version must look like v1.43" }).default("v1.43"),
});

export const ProxmoxOptionsSchema = z.strictObject({
  node: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/, { error: "node must be a Proxmox node name" }),
  /** A pinned CA (PEM, by secret name) for a cluster with its own CA; TLS is always verified. */
  ca_ref: SecretRef("ca_ref").optional(),
  rootfs_storage: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/).default("local-lvm"),
  bridge: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,15}$/).default("vmbr0"),
  task_poll_ms: z.number().int().min(50).max(10_000).default(1000),
});

export type LocalOptions = z.infer<typeof LocalOptionsSchema>;
export type SshOptions = z.infer<typeof SshOptionsSchema>;
export type DockerOptions = z.infer<typeof DockerOptionsSchema>;
export type ProxmoxOptions = z.infer<typeof ProxmoxOptionsSchema>;

export const OPTIONS_SCHEMAS = {
  local: LocalOptionsSchema,
  ssh: SshOptionsSchema,
  docker: DockerOptionsSchema,
  proxmox: ProxmoxOptionsSchema,
} as const satisfies Record<BackendName, z.ZodType>;

const DEFAULT_PORTS: Record<BackendName, number | null> = { local: null, ssh: 22, docker: 2376, proxmox: 8006 };

const common = {
  id: TargetId,
  name: z.string().min(1, { error: "name must not be empty" }).max(120, { error: "name is longer than 120 characters" }),
  role: z.enum(TARGET_ROLES, { error: `role must be one of ${TARGET_ROLES.join(", ")}` }),
  tags: z.array(Tag).max(32, { error: "tags lists at most 32 tags" }).default([]),
  maintenance_windows: z.array(MaintenanceWindowSchema).max(16, { error: "maintenance_windows lists at most 16 windows" }).default([]),
  address: Host.nullish(),
  port: Port.nullish(),
  credential_ref: SecretRef("credential_ref").nullish(),
};

/** What an admin sends to create or replace a target. */
export const TargetInputSchema = z
  .discriminatedUnion(
    "backend",
    [
      z.strictObject({ ...common, backend: z.literal("local"), options: LocalOptionsSchema.default(LocalOptionsSchema.parse({})) }),
      z.strictObject({ ...common, backend: z.literal("ssh"), options: SshOptionsSchema }),
      z.strictObject({ ...common, backend: z.literal("docker"), options: DockerOptionsSchema.default(DockerOptionsSchema.parse({})) }),
      z.strictObject({ ...common, backend: z.literal("proxmox"), options: ProxmoxOptionsSchema }),
    ],
    { error: `backend must be one of ${BACKENDS.join(", ")}` },
  )
  .superRefine((t, ctx) => {
    const need = (cond: boolean, path: string, message: string) => {
      if (!cond) ctx.addIssue({ code: "custom", path: [path], message });
    };
    switch (t.backend) {
      case "local":
        need(t.address == null && t.port == null, "address", "a local target runs on the gateway host: no address or port");
        need(t.credential_ref == null, "credential_ref", "a local target needs no credential");
        break;
      case "ssh":
        need(t.address != null, "address", "an ssh target needs an address");
        need(t.credential_ref != null, "credential_ref", "an ssh target needs credential_ref: the secret holding its private key");
        break;
      case "docker":
        if (t.options.socket_path !== undefined) {
          need(t.address == null && t.port == null, "address", "a docker target uses either socket_path or address/port, not both");
          need(t.options.tls === undefined, "options", "tls applies to docker over TCP, not to a socket");
        } else {
          need(t.address != null, "address", "a docker target needs an address (TCP) or options.socket_path");
          need(t.options.tls !== undefined, "options", "docker over TCP needs options.tls (ca_ref, cert_ref, key_ref): an unauthenticated Docker API is root on its host");
        }
        need(t.credential_ref == null, "credential_ref", "docker authenticates with options.tls (client certificate), not credential_ref");
        break;
      case "proxmox":
        need(t.address != null, "address", "a proxmox target needs an address");
        need(t.credential_ref != null, "credential_ref", "a proxmox target needs credential_ref: the secret holding its API token (USER@REALM!TOKENID=SECRET)");
        break;
    }
  });

export type TargetInput = z.input<typeof TargetInputSchema>;

const TARGET_KEYS = ["id", "name", "backend", "address", "port", "role", "tags", "maintenance_windows", "credential_ref", "options"] as const;
const anyOf = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));

/**
 * The API's create body: an unknown top-level field is refused by name first (a strict object),
 * then the target is validated per backend (TargetInputSchema).
 */
export const TargetCreateBodySchema = z.strictObject(anyOf(TARGET_KEYS)).pipe(TargetInputSchema);

/** The API's replace body: the target without its id (the path names it), and `if_updated_at` to refuse a stale edit. */
export const TargetUpdateBodySchema = z.strictObject({
  ...anyOf(TARGET_KEYS),
  if_updated_at: z.iso.datetime({ offset: true, error: "if_updated_at must be the target's updated_at as read" }).optional(),
});

/** Validated input → the columns to store. */
export function targetWrite(input: z.infer<typeof TargetInputSchema>): { id: string; write: OpsTargetWrite } {
  const port = input.port ?? (input.backend === "docker" && input.options.socket_path !== undefined ? null : DEFAULT_PORTS[input.backend]);
  return {
    id: input.id,
    write: {
      name: input.name,
      backend: input.backend,
      address: input.address ?? null,
      port,
      role: input.role,
      tags: input.tags,
      maintenanceWindows: input.maintenance_windows,
      credentialRef: input.credential_ref ?? null,
      options: input.options as Record<string, unknown>,
    },
  };
}

/** A stored row → a target; a row that no longer validates is refused (fail closed), naming what is wrong. */
export function targetFromRow(row: OpsTargetRow): Target {
  const parsed = TargetInputSchema.safeParse({
    id: row.id,
    name: row.name,
    backend: row.backend,
    address: row.address,
    port: row.port,
    role: row.role,
    tags: row.tags,
    maintenance_windows: row.maintenanceWindows,
    credential_ref: row.credentialRef,
    options: row.options,
  });
  if (!parsed.success || !TARGET_ID_RE.test(row.id)) {
    const first = parsed.success ? { path: ["id"], message: "bad id" } : parsed.error.issues[0];
    throw badRequest(`target ${row.id} is misconfigured (${first.path.join(".") || "row"}: ${first.message}); an admin must fix it before it can be used`, {
      target_id: row.id,
    });
  }
  const t = parsed.data;
  return {
    tenantId: row.tenantId,
    id: t.id,
    name: t.name,
    backend: t.backend,
    address: t.address ?? null,
    port: row.port,
    role: t.role,
    tags: t.tags,
    maintenanceWindows: t.maintenance_windows as MaintenanceWindow[],
    credentialRef: t.credential_ref ?? null,
    options: t.options as Record<string, unknown>,
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Options of a target, typed by its backend. */
export function optionsOf<B extends BackendName>(t: Target, backend: B): z.infer<(typeof OPTIONS_SCHEMAS)[B]> {
  if (t.backend !== backend) throw new Error(`target ${t.id} is a ${t.backend} target, not ${backend}`);
  return t.options as z.infer<(typeof OPTIONS_SCHEMAS)[B]>;
}

export type MaintenanceState = "inside" | "outside" | "none";

/** Whether `now` falls in one of the target's maintenance windows ("none" when it declares none). */
export function maintenanceState(t: Pick<Target, "maintenanceWindows">, now: Date): MaintenanceState {
  if (t.maintenanceWindows.length === 0) return "none";
  for (const w of t.maintenanceWindows) {
    const c = compileWindow(w);
    if (c.test(c.clock(now))) return "inside";
  }
  return "outside";
}

/**
 * Local targets and docker sockets act on the gateway host itself: only tenants the operator
 * lists (OPS_GATEWAY_HOST_TENANTS) may have them, only inside the operator's roots
 * (OPS_LOCAL_ROOTS) and only on the sockets the operator lists (OPS_DOCKER_SOCKETS). Checked
 * when a target is saved and again before every use.
 */
export function checkGatewayHostRules(t: Pick<Target, "tenantId" | "id" | "backend" | "options">, config: OpsConfig): void {
  const onHost = t.backend === "local" || (t.backend === "docker" && typeof t.options.socket_path === "string");
  if (!onHost) return;
  if (!config.gatewayHostTenants.includes(t.tenantId))
    throw forbidden(`target ${t.id}: ${t.backend === "local" ? "local targets" : "docker sockets"} act on the gateway host; the operator has not allowed tenant ${t.tenantId} (OPS_GATEWAY_HOST_TENANTS)`);
  if (t.backend === "local") {
    const roots = (t.options.file_roots as string[] | undefined) ?? [];
    for (const r of roots) {
      if (!config.local.roots.some((base) => r === base || r.startsWith(`${base}/`)))
        throw forbidden(`target ${t.id}: file root ${r} is outside the operator's local roots (OPS_LOCAL_ROOTS: ${config.local.roots.join(", ") || "none"})`);
    }
  } else if (!config.docker.sockets.includes(t.options.socket_path as string)) {
    throw forbidden(`target ${t.id}: docker socket ${String(t.options.socket_path)} is not one the operator allows (OPS_DOCKER_SOCKETS: ${config.docker.sockets.join(", ") || "none"})`);
  }
}
