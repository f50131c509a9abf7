/**
 * Parameter building blocks of the capability catalog. Every string is ASCII from a small,
 * explicit alphabet, bounded in length, and anchored (`^…$` with no multiline flag, so a
 * trailing newline never slips past `$`): a name that passes can be handed to a program as one
 * argument, or single-quoted for a remote shell, without meaning anything but itself. Unicode
 * look-alikes (fullwidth `；`, `／`), control characters, NUL, spaces and shell metacharacters
 * are all outside the alphabets.
 */
import { z } from "zod";

/** seed 002's name pattern: starts with a letter or digit, then letters, digits, `_`, `-`. */
export const SEED_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
/** Names that may also hold `.` (container names, package names, interface names). */
export const DOTTED_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** systemd unit names: `nginx`, `nginx.service`, `getty@tty1.service`. */
export const UNIT_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.@:-]*$/;
/** Package names of apt, dnf and apk (`libc6`, `g++`, `python3.12`, `xorg-x11-fonts`). */
export const PACKAGE_RE = /^[a-zA-Z0-9][a-zA-Z0-9+._-]*$/;
/** An absolute, normalized path: segments of a safe alphabet, no `.`/`..` segment, no `//`, no trailing `/`. */
export const PATH_SEGMENT_RE = /^[A-Za-z0-9._@+=,~-]+$/;
/** A docker image reference: [registry[:port]/]name[/name…][:tag][@sha256:digest]. */
export const IMAGE_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,252})(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*){0,8}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** A Proxmox volume id: `storage:content/file` (templates and backups). */
export const PVE_STORAGE_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/;
export const PVE_TEMPLATE_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}:vztmpl\/[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$/;
export const PVE_BACKUP_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}:backup\/[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$/;
/** Proxmox snapshot names: a letter first, at most 40 characters. */
export const SNAPSHOT_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/;
/** A DNS host name (labels of letters, digits and inner hyphens). */
export const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** Free text that ends up in a request body (never a command line): printable ASCII and spaces. */
export const NOTE_RE = /^[\x20-\x7e]*$/;
/** Environment variable names for containers. */
export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const pattern = (re: RegExp, what: string) => ({ error: `${what}: only ${describeRe(re)}` });

function describeRe(re: RegExp): string {
  switch (re) {
    case SEED_NAME_RE:
      return "letters, digits, `_` and `-`, starting with a letter or digit (^[a-zA-Z0-9][a-zA-Z0-9_-]*$)";
    case DOTTED_NAME_RE:
      return "letters, digits, `_`, `.` and `-`, starting with a letter or digit";
    case UNIT_NAME_RE:
      return "letters, digits and `_ . @ : -`, starting with a letter or digit (a systemd unit name)";
    case PACKAGE_RE:
      return "letters, digits and `+ . _ -`, starting with a letter or digit";
    case SNAPSHOT_RE:
      return "letters, digits, `_` and `-`, starting with a letter, at most 40 characters";
    default:
      return `text matching ${re.source}`;
  }
}

/** A name of the seed's alphabet, 1 to `max` characters. */
export const seedName = (what: string, max = 64) =>
  z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` }).max(max, { error: `${what} is longer than ${max} characters` }).regex(SEED_NAME_RE, pattern(SEED_NAME_RE, what));

export const dottedName = (what: string, max = 64) =>
  z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` }).max(max, { error: `${what} is longer than ${max} characters` }).regex(DOTTED_NAME_RE, pattern(DOTTED_NAME_RE, what));

export const ServiceName = z
  .string({ error: "service_name must be a string" })
  .min(1, { error: "service_name must not be empty" })
  .max(64, { error: "service_name is longer than 64 characters" })
  .regex(UNIT_NAME_RE, pattern(UNIT_NAME_RE, "service_name"))
  .describe("systemd unit, e.g. nginx or nginx.service");

export const ContainerName = dottedName("container_name").describe("Container name (docker) or hostname (Proxmox LXC)");
export const StackName = seedName("stack_name").describe("Compose project name");

export const PackageName = z
  .string({ error: "package names must be strings" })
  .min(1, { error: "a package name must not be empty" })
  .max(128, { error: "a package name is longer than 128 characters" })
  .regex(PACKAGE_RE, pattern(PACKAGE_RE, "package name"));

export const PackageList = z
  .array(PackageName, { error: "packages must be a list of package names" })
  .min(1, { error: "packages must name at least one package" })
  .max(50, { error: "packages lists at most 50 packages" })
  .refine((l) => new Set(l).size === l.length, { error: "packages lists a package twice" })
  .describe("Package names");

export const MAX_PATH = 1024;

/** Problems of an absolute path, or null. Exported for the backends' own checks. */
export function pathProblem(p: string): string | null {
  if (!p.startsWith("/")) return "must be an absolute path (starting with /)";
  if (p.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (p === "/") return "must name a file, not /";
  if (p.endsWith("/")) return "must not end with /";
  for (const seg of p.slice(1).split("/")) {
    if (seg === "") return "must not contain // (an empty segment)";
    if (seg === "." || seg === "..") return "must not contain . or .. segments (traversal is refused, not normalized)";
    if (!PATH_SEGMENT_RE.test(seg)) return "may only hold letters, digits and `. _ @ + = , ~ -` between slashes";
  }
  return null;
}

export const AbsolutePath = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .max(MAX_PATH, { error: `${what} is longer than ${MAX_PATH} characters` })
    .superRefine((p, ctx) => {
      const problem = pathProblem(p);
      if (problem) ctx.addIssue({ code: "custom", message: `${what} ${problem}` });
    });

export const Host = z
  .string({ error: "host must be a string" })
  .min(1, { error: "host must not be empty" })
  .max(253, { error: "host is longer than 253 characters" })
  .refine((h) => HOSTNAME_RE.test(h) || z.ipv4().safeParse(h).success || z.ipv6().safeParse(h).success, {
    error: "host must be a host name (letters, digits, hyphens, dots) or an IPv4/IPv6 address",
  })
  .describe("Host name or IP address");

export const Port = z.number({ error: "port must be a number" }).int({ error: "port must be an integer" }).min(1, { error: "port must be 1–65535" }).max(65535, { error: "port must be 1–65535" });

export const VmId = z
  .number({ error: "vmid must be a number" })
  .int({ error: "vmid must be an integer" })
  .min(100, { error: "vmid must be 100–999999999 (Proxmox guest ids)" })
  .max(999_999_999, { error: "vmid must be 100–999999999 (Proxmox guest ids)" })
  .describe("Proxmox guest id");

export const PveStorage = z.string({ error: "storage must be a string" }).regex(PVE_STORAGE_RE, { error: "storage must be a Proxmox storage id (a letter, then letters, digits, `_ . -`, at most 64)" });
export const BackupId = z
  .string({ error: "backup_id must be a string" })
  .max(265, { error: "backup_id is too long" })
  .regex(PVE_BACKUP_RE, { error: "backup_id must be a Proxmox backup volume id such as local:backup/vzdump-lxc-101-2026_01_01-00_00_00.tar.zst" });
export const SnapshotName = z.string({ error: "snapshot_name must be a string" }).regex(SNAPSHOT_RE, pattern(SNAPSHOT_RE, "snapshot_name"));

export const Note = (what: string, max: number) =>
  z.string({ error: `${what} must be a string` }).max(max, { error: `${what} is longer than ${max} characters` }).regex(NOTE_RE, { error: `${what} may only hold printable ASCII characters` });

export const Bool = (what: string) => z.boolean({ error: `${what} must be true or false` });

export const Int = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be an integer` })
    .min(min, { error: `${what} must be ${min}–${max}` })
    .max(max, { error: `${what} must be ${min}–${max}` });

/** The operation's own timeout in seconds, bounded by the catalog's maximum for the operation. */
export const timeoutParam = (maxSeconds: number, defaultSeconds?: number) => {
  const t = Int("timeout", 1, maxSeconds).describe(`Seconds before the operation is stopped (at most ${maxSeconds})`);
  return defaultSeconds === undefined ? t.optional() : t.default(defaultSeconds);
};

/** A target id as agents pass it (`prod-web-01`): lowercase, digits, `. _ -`, at most 63 characters. */
export const TARGET_ID_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TargetId = z
  .string({ error: "target_id must be a string" })
  .regex(TARGET_ID_RE, { error: "target_id must be a target id such as prod-web-01 (lowercase letters, digits, `. _ -`, at most 63)" })
  .describe("Target id from the inventory");
