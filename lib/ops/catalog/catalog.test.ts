import { describe, expect, test } from "vitest";
import { isAppError } from "@/lib/errors";
import { fakeBackend, putTarget, testOps } from "../testing";
import { BACKENDS, CATEGORIES } from "../types";
import { effectiveTimeoutMs, getOperation, OPERATION_NAMES, OPERATIONS, operationOfTool, toolSchemaOf, validateParams } from "./index";

/** seed 002's "Supported Operations", verbatim. */
const SEED_OPERATIONS = [
  "service_restart", "service_start", "service_stop", "service_status",
  "container_create", "container_delete", "container_start", "container_stop", "container_restart", "container_inspect",
  "stack_deploy", "stack_remove", "stack_update",
  "backup_create", "backup_restore", "backup_list", "backup_delete",
  "snapshot_create", "snapshot_delete", "snapshot_restore", "snapshot_list",
  "file_read", "file_write", "file_delete", "file_copy",
  "network_scan", "network_test", "network_status",
  "package_update", "package_install", "package_remove", "package_list",
];

describe("the catalog", () => {
  test("holds exactly seed 002's operations, once each", () => {
    expect([...OPERATION_NAMES].sort()).toEqual([...SEED_OPERATIONS].sort());
  });

  test.each(OPERATIONS.map((o) => [o.name, o] as const))("%s has a strict schema, a timeout, backends and a valid example", (_name, op) => {
    expect(CATEGORIES).toContain(op.category);
    expect(op.name.startsWith(`${op.category}_`)).toBe(true);
    expect(op.timeout.default_ms).toBeGreaterThan(0);
    expect(op.timeout.default_ms).toBeLessThanOrEqual(op.timeout.max_ms);
    expect(op.backends.length).toBeGreaterThan(0);
    for (const b of op.backends) expect(BACKENDS).toContain(b);
    const ok = validateParams(op, op.example);
    expect(ok).toMatchObject({ ok: true });
    // Strict: one unknown parameter makes the same example invalid.
    const bad = validateParams(op, { ...op.example, shell: "rm -rf /" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0].message).toMatch(/unknown parameter "shell"/);
    // Every operation takes a bounded timeout.
    expect(validateParams(op, { ...op.example, timeout: op.timeout.max_ms / 1000 + 1 }).ok).toBe(false);
    // The tool adds target_id and dry_run to the same parameters.
    expect(toolSchemaOf(op).safeParse({ ...op.example, target_id: "prod-web-01", dry_run: true }).success).toBe(true);
    expect(toolSchemaOf(op).safeParse(op.example).success).toBe(false);
    expect(operationOfTool(`ops.${op.name}`)).toBe(op);
  });

  test("read-only operations are the status, list, inspect, read and network ones", () => {
    const readOnly = OPERATIONS.filter((o) => !o.mutates).map((o) => o.name).sort();
    expect(readOnly).toEqual(["backup_list", "container_inspect", "file_read", "network_scan", "network_status", "network_test", "package_list", "service_status", "snapshot_list"]);
  });

  test("seed 002's service timeout: default 60 s, 1–300", () => {
    const op = getOperation("service_restart")!;
    const v = validateParams(op, { service_name: "nginx" });
    expect(v).toEqual({ ok: true, params: { service_name: "nginx", timeout: 60 } });
    expect(effectiveTimeoutMs(op, { timeout: 5 })).toBe(5000);
    expect(effectiveTimeoutMs(op, {})).toBe(60_000);
    expect(validateParams(op, { service_name: "nginx", timeout: 0 }).ok).toBe(false);
    expect(validateParams(op, { service_name: "nginx", timeout: 301 }).ok).toBe(false);
  });

  test("unknown tools and the meta tools are not operations", () => {
    expect(operationOfTool("ops.shell_exec")).toBeUndefined();
    expect(operationOfTool("ops.simulate")).toBeUndefined();
    expect(operationOfTool("fs.service_restart")).toBeUndefined();
  });
});

/** Hostile values, each labelled, for every kind of string parameter. */
const HOSTILE: [string, unknown][] = [
  ["command chaining", "nginx; rm -rf /"],
  ["command substitution", "$(id)"],
  ["backticks", "`id`"],
  ["pipe", "nginx|id"],
  ["and-list", "nginx&&id"],
  ["redirection", "nginx>/etc/passwd"],
  ["traversal", "../../etc/passwd"],
  ["option injection", "-rf"],
  ["glob", "nginx*"],
  ["space", "ngi nx"],
  ["newline", "nginx\nid"],
  ["carriage return", "nginx\rid"],
  ["NUL byte", "nginx\u0000"],
  ["fullwidth letters", "ｎｇｉｎｘ"],
  ["fullwidth semicolon", "nginx；id"],
  ["zero-width space", "ngi\u200bnx"],
  ["right-to-left override", "nginx\u202e"],
  ["Cyrillic look-alike", "nginх"],
  ["overlong name", "a".repeat(300)],
  ["empty", ""],
  ["number", 42],
  ["boolean", true],
  ["null", null],
  ["list", ["nginx"]],
  ["object", { name: "nginx" }],
];

const HOSTILE_PATHS: [string, unknown][] = [
  ["relative traversal", "../../etc/passwd"],
  ["traversal inside", "/srv/app/../../etc/passwd"],
  ["dot segment", "/srv/./app"],
  ["double slash", "//etc/passwd"],
  ["trailing slash", "/srv/app/"],
  ["relative", "srv/app"],
  ["root", "/"],
  ["space", "/srv/my file"],
  ["NUL byte", "/srv/app\u0000.txt"],
  ["newline", "/srv/app\n/etc/passwd"],
  ["command substitution", "/srv/$(id)"],
  ["backticks", "/srv/`id`"],
  ["fullwidth solidus", "/srv／etc"],
  ["fullwidth dots", "/srv/．．/etc"],
  ["backslash", "/srv/..\\etc"],
  ["overlong", `/srv/${"a".repeat(1100)}`],
  ["number", 7],
];

describe("validation refuses hostile parameters", () => {
  const cases: [string, string, unknown][] = [];
  for (const [label, v] of HOSTILE) {
    cases.push([`service_restart service_name: ${label}`, "service_restart", { service_name: v }]);
    cases.push([`container_stop container_name: ${label}`, "container_stop", { container_name: v }]);
    cases.push([`stack_remove stack_name: ${label}`, "stack_remove", { stack_name: v }]);
    cases.push([`package_install packages[0]: ${label}`, "package_install", { packages: [v] }]);
    cases.push([`network_test host: ${label}`, "network_test", { host: v }]);
    cases.push([`snapshot_create snapshot_name: ${label}`, "snapshot_create", { vmid: 101, snapshot_name: v }]);
    cases.push([`container_create image: ${label}`, "container_create", { container_name: "web", image: v }]);
  }
  for (const [label, v] of HOSTILE_PATHS) {
    cases.push([`file_read path: ${label}`, "file_read", { path: v }]);
    cases.push([`file_copy destination: ${label}`, "file_copy", { source: "/srv/a", destination: v }]);
    cases.push([`stack_deploy compose_file: ${label}`, "stack_deploy", { stack_name: "shop", compose_file: v }]);
  }
  cases.push(
    ["service_name one past 64", "service_restart", { service_name: "a".repeat(65) }],
    ["container_name one past 64", "container_start", { container_name: "a".repeat(65) }],
    ["stack_name one past 64", "stack_remove", { stack_name: "a".repeat(65) }],
    ["snapshot_name one past 40", "snapshot_delete", { vmid: 101, snapshot_name: "a".repeat(41) }],
    ["package name one past 128", "package_remove", { packages: ["a".repeat(129)] }],
    ["host one past 253", "network_test", { host: `${"a".repeat(60)}.`.repeat(4) + "abcdefghijklmnopq" }],
    ["host label over 63", "network_test", { host: `${"a".repeat(64)}.example.com` }],
    ["service_restart timeout: string", "service_restart", { service_name: "nginx", timeout: "60" }],
    ["service_restart timeout: fraction", "service_restart", { service_name: "nginx", timeout: 1.5 }],
    ["service_restart timeout: negative", "service_restart", { service_name: "nginx", timeout: -1 }],
    ["service_restart timeout: infinite", "service_restart", { service_name: "nginx", timeout: Infinity }],
    ["service_restart: missing service_name", "service_restart", {}],
    ["service_restart: unknown parameter", "service_restart", { service_name: "nginx", args: "--now; reboot" }],
    ["service_restart: parameters not an object", "service_restart", "nginx"],
    ["container_delete force: string", "container_delete", { container_name: "web", force: "true" }],
    ["container_create env name", "container_create", { container_name: "web", image: "nginx", env: { "A;B": "x" } }],
    ["container_create env value newline", "container_create", { container_name: "web", image: "nginx", env: { A: "x\nB=y" } }],
    ["container_create privileged flag", "container_create", { container_name: "web", image: "nginx", privileged: true }],
    ["container_create host mount", "container_create", { container_name: "web", image: "nginx", binds: ["/:/host"] }],
    ["container_create without image or template", "container_create", { container_name: "web" }],
    ["container_create port out of range", "container_create", { container_name: "web", image: "nginx", ports: [{ container_port: 70000 }] }],
    ["network_scan subnet too large", "network_scan", { subnet: "10.0.0.0/8" }],
    ["network_scan subnet injection", "network_scan", { subnet: "10.0.0.0/24;id" }],
    ["network_scan too many ports", "network_scan", { subnet: "10.0.0.0/24", ports: Array.from({ length: 33 }, (_, i) => i + 1) }],
    ["file_write setuid mode", "file_write", { path: "/srv/x", content: "", mode: "4755" }],
    ["file_write bad base64", "file_write", { path: "/srv/x", content: "$(id)", encoding: "base64" }],
    ["file_write over 1 MiB", "file_write", { path: "/srv/x", content: "a".repeat(1_048_577) }],
    ["file_write NUL in utf8 content", "file_write", { path: "/srv/x", content: "a\u0000b" }],
    ["file_copy onto itself", "file_copy", { source: "/srv/a", destination: "/srv/a" }],
    ["file_read max_bytes over 1 MiB", "file_read", { path: "/srv/a", max_bytes: 2_000_000 }],
    ["backup_restore traversal in volume", "backup_restore", { vmid: 101, backup_id: "local:backup/../../etc/passwd" }],
    ["backup_create vmid below 100", "backup_create", { vmid: 99, storage: "local" }],
    ["backup_create vmid as string", "backup_create", { vmid: "101", storage: "local" }],
    ["package_install too many packages", "package_install", { packages: Array.from({ length: 51 }, (_, i) => `p${i}`) }],
    ["package_install duplicate", "package_install", { packages: ["htop", "htop"] }],
    ["package_install empty list", "package_install", { packages: [] }],
  );

  test.each(cases)("%s", (_label, operation, params) => {
    const r = validateParams(getOperation(operation)!, params);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
  });

  // The same refusals through the ops service: nothing reaches any backend, not even its validate().
  const fakes = { local: fakeBackend("local"), ssh: fakeBackend("ssh"), docker: fakeBackend("docker"), proxmox: fakeBackend("proxmox") };
  const { ops, targets } = testOps({ backends: fakes });
  const caller = { tenant: "acme", subject: "agent-1", roles: ["agent"] };
  const ready = putTarget(targets, "acme", { id: "prod-web-01", name: "web", backend: "ssh", address: "10.0.0.5", role: "production", credential_ref: "WEB_KEY", options: { username: "deploy", file_roots: ["/srv"] } });

  test.each(cases.filter(([, op]) => getOperation(op)!.backends.includes("ssh")))("through ops.prepare and ops.run: %s never touches a backend", async (_label, operation, params) => {
    await ready;
    for (const f of Object.values(fakes)) f.calls.length = 0;
    const obj = typeof params === "object" && params !== null ? (params as Record<string, unknown>) : null;
    const args = obj ? { target_id: "prod-web-01", ...obj } : params;
    for (const fn of [() => ops.prepare(caller, `ops.${operation}`, args), () => ops.run(caller, `ops.${operation}`, args)]) {
      const err = await fn().then(() => null, (e: unknown) => e);
      expect(isAppError(err)).toBe(true);
      expect((err as { status: number }).status).toBe(400);
      expect((err as { code: string }).code).toBe("invalid_parameters");
    }
    if (obj) expect((await ops.simulate(caller, { operation, target_id: "prod-web-01", parameters: obj })).valid).toBe(false);
    for (const f of Object.values(fakes)) expect(f.calls).toEqual([]);
  });
});

describe("validation accepts ordinary parameters", () => {
  test.each<[string, string, Record<string, unknown>]>([
    ["unit with suffix", "service_restart", { service_name: "nginx.service" }],
    ["templated unit", "service_status", { service_name: "getty@tty1.service" }],
    ["versioned unit", "service_stop", { service_name: "php8.2-fpm" }],
    ["64-character name", "service_start", { service_name: "a".repeat(64) }],
    ["seed timeout bounds", "service_restart", { service_name: "nginx", timeout: 300 }],
    ["dotted container", "container_start", { container_name: "my.app_2" }],
    ["image with registry and port", "container_create", { container_name: "app", image: "registry.example.com:5000/team/app:v1.2.3" }],
    ["image by digest", "container_create", { container_name: "app", image: `ghcr.io/org/app@sha256:${"a".repeat(64)}` }],
    ["LXC from a template", "container_create", { container_name: "ct1", template: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", vmid: 200 }],
    ["container with env and ports", "container_create", { container_name: "db", image: "postgres:17", env: { POSTGRES_DB: "app" }, ports: [{ container_port: 5432, host_port: 5432, host_ip: "::1" }] }],
    ["apt package names", "package_install", { packages: ["libc6", "g++", "python3.12"] }],
    ["hidden file", "file_read", { path: "/srv/app/.env" }],
    ["deep path", "file_delete", { path: "/srv/a/b/c/d.log" }],
    ["base64 content", "file_write", { path: "/srv/a.bin", content: Buffer.from([0, 1, 2, 255]).toString("base64"), encoding: "base64" }],
    ["IPv6 host", "network_test", { host: "fd00::1", port: 22 }],
    ["host name", "network_test", { host: "db.internal" }],
    ["IPv6 subnet", "network_scan", { subnet: "fd00::/120" }],
    ["backup volume", "backup_delete", { backup_id: "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst" }],
  ])("%s", (_label, operation, params) => {
    expect(validateParams(getOperation(operation)!, params)).toMatchObject({ ok: true });
  });
});
