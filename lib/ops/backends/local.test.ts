import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { isAppError } from "@/lib/errors";
import { putTarget, testConfig, testOps } from "../testing";

/**
 * The local backend for real: stub programs (CI has no systemd) on the operator's allowlist,
 * files inside a temporary per-target root, symlink escapes, timeouts and cancellation.
 */
let dir: string;
let root: string;
let outside: string;
let bin: string;
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };
let now = new Date("2026-12-01T10:00:00Z");

function stub(name: string, body: string) {
  const p = path.join(bin, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** State of a process: "gone", or its /proc state letter (Z = zombie). */
function procState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[0];
  } catch {
    return "gone";
  }
}
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ops-local-"));
  bin = path.join(dir, "bin");
  root = path.join(dir, "roots", "web");
  outside = path.join(dir, "outside");
  for (const d of [bin, root, outside]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(outside, "secret.txt"), "TOP SECRET\n");
  const log = path.join(dir, "calls.log");
  stub("systemctl", `printf '%s|' "$@" >> ${log}; echo >> ${log}; case "$1" in status) echo "inactive (dead)"; exit 3;; stop) echo "failed to stop" >&2; exit 1;; esac; echo "ok $1 $3"`);
  stub("docker", `printf '%s|' "$@" >> ${log}; echo >> ${log}; echo "$@" >> ${dir}/docker.count; case "$1" in ps) printf 'web-1\\ndb-1\\n';; esac`);
  // A program that prints a lot, with secrets in it.
  stub("ip", `i=0; while [ $i -lt 4000 ]; do echo "line $i of an interface listing padded to make it long enough"; i=$((i+1)); done; echo "password=hunter2hunter2"; echo "AKIAIOSFODNN7EXAMPLE"`);
  // A program that hangs with a child of its own.
  stub("nmap", `echo $$ > ${dir}/nmap.pid; sleep 1000 & echo $! > ${dir}/nmap.child; wait`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(over: Parameters<typeof testConfig>[0] = {}) {
  const config = testConfig({
    gatewayHostTenants: ["acme"],
    local: {
      roots: [path.join(dir, "roots")],
      binaries: { systemctl: path.join(bin, "systemctl"), docker: path.join(bin, "docker"), ip: path.join(bin, "ip"), nmap: path.join(bin, "nmap") },
    },
    ...over,
  });
  const t = testOps({ config, clock: () => now });
  const ready = putTarget(t.targets, "acme", { id: "gw", name: "gateway host", backend: "local", role: "gateway", options: { file_roots: [root], allowed_services: ["nginx", "redis"] } });
  return { ...t, ready };
}

const calls = () => (existsSync(path.join(dir, "calls.log")) ? readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n") : []);

beforeEach(() => {
  rmSync(path.join(dir, "calls.log"), { force: true });
  rmSync(path.join(dir, "docker.count"), { force: true });
});

describe("service operations run allowlisted programs with argument arrays", () => {
  test("service_restart runs systemctl restart -- nginx and reports the outcome", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.service_restart", { target_id: "gw", service_name: "nginx" });
    expect(r.status).toBe("executed");
    expect(r.outcome).toMatchObject({ status: "succeeded", exit_code: 0, dry_run: null });
    expect(r.outcome!.steps[0].stdout).toBe("ok restart nginx\n");
    expect(r.outcome!.action!.steps[0]).toEqual({ kind: "exec", argv: [path.join(bin, "systemctl"), "restart", "--", "nginx"] });
    expect(calls()).toEqual(["restart|--|nginx|"]);
  });

  test("service_status treats systemctl's inactive answer (exit 3) as an answer, not a failure", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.service_status", { target_id: "gw", service_name: "redis" });
    expect(r.outcome).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(r.outcome!.steps[0]).toMatchObject({ exit_code: 3, stdout: "inactive (dead)\n" });
  });

  test("a failing program is a failed outcome with its exit code and stderr", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.service_stop", { target_id: "gw", service_name: "nginx" });
    expect(r.outcome).toMatchObject({ status: "failed", exit_code: 1 });
    expect(r.outcome!.steps[0].stderr).toBe("failed to stop\n");
    expect(r.outcome!.error).toMatch(/exited with 1/);
  });

  test("a service outside allowed_services is refused before anything runs", async () => {
    const { ops, ready } = setup();
    await ready;
    const err = await ops.run(caller, "ops.service_restart", { target_id: "gw", service_name: "sshd" }).catch((e) => e);
    expect(isAppError(err) && err.status).toBe(400);
    expect(err.message).toMatch(/allowed_services/);
    expect(calls()).toEqual([]);
  });

  test("a program the operator has not allowed is refused before anything runs", async () => {
    const { ops, ready } = setup();
    await ready;
    const err = await ops.run(caller, "ops.package_install", { target_id: "gw", packages: ["htop"] }).catch((e) => e);
    expect(isAppError(err) && err.status).toBe(400);
    expect(err.message).toMatch(/not allowed apt-get on the gateway host/);
  });

  test("output is truncated to OPS_OUTPUT_MAX_BYTES and secrets in it are redacted", async () => {
    const { ops, ready } = setup({ outputMaxBytes: 300_000 });
    await ready;
    const r = await ops.run(caller, "ops.network_status", { target_id: "gw" });
    const out = r.outcome!.steps[0].stdout;
    expect(out).not.toContain("hunter2hunter2");
    expect(out).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(out).toMatch(/\[redacted:[a-z_-]+:[0-9a-f]{12}\]/);
    const small = setup({ outputMaxBytes: 1024 });
    await small.ready;
    const t = await small.ops.run(caller, "ops.network_status", { target_id: "gw" });
    expect(t.outcome!.steps[0].truncated).toBe(true);
    expect(t.outcome!.steps[0].stdout).toMatch(/\[truncated: \d+ of \d+ bytes not shown\]$/);
    expect(Buffer.byteLength(t.outcome!.steps[0].stdout)).toBeLessThan(1200);
  });
});

describe("timeouts and cancellation", () => {
  test("a program that hangs is killed at its timeout with its children; nothing of ours is left", async () => {
    const { ops, ready } = setup();
    await ready;
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.network_scan", { target_id: "gw", subnet: "10.0.0.0/24", timeout: 1 });
    const took = Date.now() - t0;
    expect(r.outcome).toMatchObject({ status: "timed_out" });
    expect(r.outcome!.error).toMatch(/timed out after 1000 ms/);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(5000);
    const pid = Number(readFileSync(path.join(dir, "nmap.pid"), "utf8"));
    const child = Number(readFileSync(path.join(dir, "nmap.child"), "utf8"));
    // The program itself was reaped by us: no zombie of ours.
    expect(procState(pid)).toBe("gone");
    // Its child was killed with the process group: not running (a zombie only if this machine's
    // init does not reap orphans, and then never ours).
    await new Promise((res) => setTimeout(res, 100));
    const st = procState(child);
    expect(["gone", "Z"]).toContain(st);
    if (st === "Z") expect(parentOf(child)).not.toBe(process.pid);
  });

  test("an abort cancels the running program", async () => {
    const { ops, ready } = setup();
    await ready;
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 300);
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.network_scan", { target_id: "gw", subnet: "10.0.0.0/24", timeout: 60 }, { signal: ctrl.signal });
    expect(r.outcome).toMatchObject({ status: "cancelled" });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(procState(Number(readFileSync(path.join(dir, "nmap.pid"), "utf8")))).toBe("gone");
  });
});

describe("files stay inside the target's roots", () => {
  const rooted = (p: string) => path.join(root, p);

  test("write, read, copy and delete inside the root", async () => {
    const { ops, ready } = setup();
    await ready;
    const w = await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("app.conf"), content: "listen 8080\n", mode: "600" });
    expect(w.outcome).toMatchObject({ status: "succeeded" });
    expect(w.outcome!.steps[0].data).toMatchObject({ bytes: 12, created: true });
    expect(readFileSync(rooted("app.conf"), "utf8")).toBe("listen 8080\n");
    const r = await ops.run(caller, "ops.file_read", { target_id: "gw", path: rooted("app.conf") });
    expect(r.outcome!.steps[0].data).toEqual({ path: rooted("app.conf"), size: 12, truncated: false, encoding: "utf8", content: "listen 8080\n" });
    const part = await ops.run(caller, "ops.file_read", { target_id: "gw", path: rooted("app.conf"), max_bytes: 6 });
    expect(part.outcome!.steps[0].data).toMatchObject({ content: "listen", truncated: true, size: 12 });
    const c = await ops.run(caller, "ops.file_copy", { target_id: "gw", source: rooted("app.conf"), destination: rooted("app.conf.bak") });
    expect(c.outcome).toMatchObject({ status: "succeeded" });
    expect(readFileSync(rooted("app.conf.bak"), "utf8")).toBe("listen 8080\n");
    const again = await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("app.conf"), content: "x" });
    expect(again.outcome).toMatchObject({ status: "failed" });
    expect(again.outcome!.error).toMatch(/exists; pass overwrite: true/);
    const d = await ops.run(caller, "ops.file_delete", { target_id: "gw", path: rooted("app.conf.bak") });
    expect(d.outcome!.steps[0].data).toMatchObject({ deleted: "file" });
    expect(existsSync(rooted("app.conf.bak"))).toBe(false);
  });

  test("binary content round-trips as base64", async () => {
    const { ops, ready } = setup();
    await ready;
    const bytes = Buffer.from([0, 255, 1, 254, 10]);
    await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("blob.bin"), content: bytes.toString("base64"), encoding: "base64", overwrite: true });
    const r = await ops.run(caller, "ops.file_read", { target_id: "gw", path: rooted("blob.bin") });
    expect(r.outcome!.steps[0].data).toMatchObject({ encoding: "base64", content: bytes.toString("base64") });
  });

  test("a path outside the roots is refused at validation (nothing read)", async () => {
    const { ops, ready } = setup();
    await ready;
    for (const p of [path.join(outside, "secret.txt"), "/etc/passwd", `${root}evil/x`]) {
      const err = await ops.run(caller, "ops.file_read", { target_id: "gw", path: p }).catch((e) => e);
      expect(isAppError(err) && err.status).toBe(400);
      expect(err.message).toMatch(/outside the target's file roots/);
    }
  });

  test.each([
    ["a symlinked file pointing outside", "link-file", () => symlinkSync(path.join(outside, "secret.txt"), path.join(root, "link-file")), "link-file"],
    ["a file under a symlinked folder", "link-dir", () => symlinkSync(outside, path.join(root, "link-dir")), "link-dir/secret.txt"],
    ["a relative symlink climbing out", "rel", () => symlinkSync("../../outside/secret.txt", path.join(root, "rel")), "rel"],
  ])("read through %s is refused after resolving symlinks", async (_label, name, make, rel) => {
    rmSync(path.join(root, name), { force: true });
    make();
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.file_read", { target_id: "gw", path: rooted(rel) });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(r.outcome!.error).toMatch(/resolves outside the file root .*symlink escape/);
    expect(JSON.stringify(r.outcome)).not.toContain("TOP SECRET");
  });

  test("writes never go through a symlink, at the end or in the folders", async () => {
    rmSync(path.join(root, "evil"), { force: true });
    rmSync(path.join(root, "evil-dir"), { force: true });
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "evil"));
    symlinkSync(outside, path.join(root, "evil-dir"));
    const { ops, ready } = setup();
    await ready;
    const a = await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("evil"), content: "pwned", overwrite: true });
    expect(a.outcome!.error).toMatch(/symlink; writing through a link is refused/);
    const b = await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("evil-dir/new.txt"), content: "pwned" });
    expect(b.outcome!.error).toMatch(/symlink escape/);
    const c = await ops.run(caller, "ops.file_copy", { target_id: "gw", source: rooted("evil-dir/secret.txt"), destination: rooted("stolen.txt") });
    expect(c.outcome!.error).toMatch(/symlink escape/);
    writeFileSync(rooted("plain.txt"), "plain");
    const d = await ops.run(caller, "ops.file_copy", { target_id: "gw", source: rooted("plain.txt"), destination: rooted("evil"), overwrite: true });
    expect(d.outcome!.error).toMatch(/symlink; writing through a link is refused/);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET\n");
    expect(existsSync(path.join(outside, "new.txt"))).toBe(false);
    expect(existsSync(rooted("stolen.txt"))).toBe(false);
    // Deleting the link removes the link, never what it points to.
    const del = await ops.run(caller, "ops.file_delete", { target_id: "gw", path: rooted("evil") });
    expect(del.outcome!.steps[0].data).toMatchObject({ deleted: "symlink" });
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET\n");
  });

  test("a FIFO in the root is refused without blocking", async () => {
    const fifo = rooted("pipe");
    rmSync(fifo, { force: true });
    execFileSync("mkfifo", [fifo]);
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.file_read", { target_id: "gw", path: fifo, timeout: 5 });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(r.outcome!.error).toMatch(/not a regular file/);
  });
});

describe("dry runs", () => {
  test("dry_run: true plans the exact action and runs nothing", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.service_restart", { target_id: "gw", service_name: "nginx", dry_run: true });
    expect(r.outcome).toMatchObject({ status: "dry_run", dry_run: "call", steps: [] });
    expect(r.outcome!.action!.steps[0]).toEqual({ kind: "exec", argv: [path.join(bin, "systemctl"), "restart", "--", "nginx"] });
    expect(calls()).toEqual([]);
  });

  test("the global dry-run mode runs nothing either", async () => {
    const { ops, ready } = setup({ dryRun: true });
    await ready;
    const r = await ops.run(caller, "ops.file_write", { target_id: "gw", path: rooted("dry.txt"), content: "x" });
    expect(r.outcome).toMatchObject({ status: "dry_run", dry_run: "global" });
    expect(r.outcome!.action!.steps[0]).toMatchObject({ kind: "file", op: "write", bytes: 1, sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" });
    expect(existsSync(rooted("dry.txt"))).toBe(false);
  });

  function rooted(p: string) {
    return path.join(root, p);
  }
});

describe("dynamic allowlists from the live inventory", () => {
  test("container names are checked against the target's containers, cached briefly", async () => {
    const { ops, ready } = setup({ inventory: { ttlMs: 10_000, maxEntries: 10, maxItems: 100 } });
    await ready;
    const bad = await ops.run(caller, "ops.container_start", { target_id: "gw", container_name: "ghost" }).catch((e) => e);
    expect(isAppError(bad) && bad.code).toBe("not_in_inventory");
    expect(bad.message).toMatch(/container_name "ghost" is not on target gw \(checked against list_containers\)/);
    const ok = await ops.run(caller, "ops.container_start", { target_id: "gw", container_name: "web-1" });
    expect(ok.outcome).toMatchObject({ status: "succeeded" });
    // One `docker ps` for both calls (cached), one `docker start`.
    const count = () => readFileSync(path.join(dir, "docker.count"), "utf8").trim().split("\n");
    expect(count()).toEqual(["ps --all --format {{.Names}}", "start -- web-1"]);
    now = new Date(now.getTime() + 11_000);
    await ops.run(caller, "ops.container_inspect", { target_id: "gw", container_name: "db-1" });
    expect(count().filter((l) => l.startsWith("ps"))).toHaveLength(2);
  });

  test("facts() gives the engine the target role, window state and allowlists", async () => {
    const { ops, ready } = setup();
    const row = await ready;
    const { targetFromRow } = await import("../targets");
    const f = await ops.facts(targetFromRow(row), "service_restart");
    expect(f).toEqual({
      target_role: "gateway",
      target: { id: "gw", name: "gateway host", backend: "local", role: "gateway", tags: [], maintenance_window: "none" },
      allowlists: { service_name: ["nginx", "redis"] },
      allowlist_sources: { service_name: "allowed_services" },
    });
  });
});

describe("the gateway host belongs to the operator", () => {
  test("a tenant the operator has not allowed cannot have or use a local target", async () => {
    const { ops, targets } = setup({ gatewayHostTenants: [] });
    const err = await ops.targets.create("acme", { id: "gw2", name: "x", backend: "local", role: "gateway", options: { file_roots: [root] } }, "admin").catch((e) => e);
    expect(isAppError(err) && err.status).toBe(403);
    expect(err.message).toMatch(/OPS_GATEWAY_HOST_TENANTS/);
    // A row written past the API is still refused at use.
    await putTarget(targets, "acme", { id: "gw3", name: "x", backend: "local", role: "gateway", options: { file_roots: [root] } });
    const use = await ops.run(caller, "ops.service_status", { target_id: "gw3", service_name: "nginx" }).catch((e) => e);
    expect(isAppError(use) && use.status).toBe(403);
  });

  test("file roots must lie inside the operator's roots", async () => {
    const { ops } = setup();
    const err = await ops.targets.create("acme", { id: "gw4", name: "x", backend: "local", role: "gateway", options: { file_roots: ["/etc"] } }, "admin").catch((e) => e);
    expect(isAppError(err) && err.status).toBe(403);
    expect(err.message).toMatch(/outside the operator's local roots/);
  });
});
