import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { putTarget, testOps } from "../testing";
import { fingerprint, parseKeyLine, remoteCommand } from "./ssh";

/**
 * The ssh backend against a real OpenSSH server started by the test on loopback, as the current
 * user, with a generated host key and an authorized client key (Debian's openssh-server; .ci/run
 * installs it).
 */
const SSHD = "/usr/sbin/sshd";
let dir: string;
let root: string;
let outside: string;
let port: number;
let sshd: ChildProcess;
let hostKeyLine: string;
let otherKeyLine: string;
let clientKey: string;
let strangerKey: string;
const user = userInfo().username;
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };

const keygen = (file: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
const read = (f: string) => readFileSync(f, "utf8");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(p: number, ms: number) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = tcpConnect(p, "127.0.0.1", () => (c.destroy(), res(true)));
      c.on("error", () => res(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not listen on ${p}; log:\n${existsSync(path.join(dir, "sshd.log")) ? read(path.join(dir, "sshd.log")) : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stub(name: string, body: string) {
  const p = path.join(dir, "bin", name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function procState(pid: number): string {
  try {
    return read(`/proc/${pid}/stat`).split(") ")[1].split(" ")[0];
  } catch {
    return "gone";
  }
}

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server; .ci/run does)`);
  dir = mkdtempSync(path.join(tmpdir(), "ops-ssh-"));
  root = path.join(dir, "root");
  outside = path.join(dir, "outside");
  for (const d of [root, outside, path.join(dir, "bin")]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(outside, "secret.txt"), "TOP SECRET\n");
  keygen(path.join(dir, "host_key"));
  keygen(path.join(dir, "other_host_key"));
  keygen(path.join(dir, "client_key"));
  keygen(path.join(dir, "stranger_key"));
  hostKeyLine = read(path.join(dir, "host_key.pub")).trim();
  otherKeyLine = read(path.join(dir, "other_host_key.pub")).trim();
  clientKey = read(path.join(dir, "client_key"));
  strangerKey = read(path.join(dir, "stranger_key"));
  writeFileSync(path.join(dir, "authorized_keys"), read(path.join(dir, "client_key.pub")), { mode: 0o600 });
  const log = path.join(dir, "calls.log");
  stub("systemctl", `printf '%s|' "$@" >> ${log}; echo >> ${log}; echo "ok $1 $3"`);
  stub("nmap", `echo $$ > ${dir}/nmap.pid; exec sleep 1000`);
  stub("docker", `printf '%s|' "$@" >> ${log}; echo >> ${log}; case "$1" in ps) printf 'web-1\\n';; esac`);
  port = await freePort();
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PubkeyAuthentication yes`,
      `PasswordAuthentication no`,
      `KbdInteractiveAuthentication no`,
      `PermitRootLogin prohibit-password`,
      `StrictModes no`,
      `UsePAM no`,
      `Subsystem sftp internal-sftp`,
      `LogLevel VERBOSE`,
      "",
    ].join("\n"),
  );
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  sshd = spawn(SSHD, ["-D", "-f", path.join(dir, "sshd_config"), "-p", String(port), "-E", path.join(dir, "sshd.log")], { stdio: "ignore" });
  await waitForPort(port, 10_000);
});

afterAll(() => {
  sshd?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => rmSync(path.join(dir, "calls.log"), { force: true }));

function setup(opts: { hostKeys?: string[]; key?: string; remoteTimeout?: boolean } = {}) {
  const resolved: string[] = [];
  const t = testOps({
    secrets: ({ tenant, name }) => {
      resolved.push(`${tenant}/${name}`);
      return tenant === "acme" && name === "WEB_KEY" ? (opts.key ?? clientKey) : undefined;
    },
  });
  const ready = putTarget(t.targets, "acme", {
    id: "web",
    name: "web over ssh",
    backend: "ssh",
    address: "127.0.0.1",
    port,
    role: "production",
    credential_ref: "WEB_KEY",
    options: {
      username: user,
      host_keys: opts.hostKeys ?? [hostKeyLine],
      file_roots: [root],
      binaries: { systemctl: path.join(dir, "bin", "systemctl"), nmap: path.join(dir, "bin", "nmap"), docker: path.join(dir, "bin", "docker") },
      remote_timeout: opts.remoteTimeout ?? true,
    },
  });
  return { ...t, ready, resolved };
}

const sshdLog = () => read(path.join(dir, "sshd.log"));
const calls = () => (existsSync(path.join(dir, "calls.log")) ? read(path.join(dir, "calls.log")).trim().split("\n") : []);

describe("host keys are pinned per target", () => {
  test("the pinned key connects and authenticates (test connection)", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.targets.test("acme", "web");
    expect(r).toMatchObject({ ok: true, backend: "ssh", details: { authenticated: true, username: user } });
  });

  test("a server presenting another key is refused before authentication: no secret read, no login attempt", async () => {
    const { ops, ready, resolved } = setup({ hostKeys: [otherKeyLine] });
    await ready;
    const before = sshdLog().length;
    const r = await ops.run(caller, "ops.service_restart", { target_id: "web", service_name: "nginx" });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(r.outcome!.error).toMatch(/host key of target web does not match: the server presented ssh-ed25519 SHA256:\S+, pinned ssh-ed25519 SHA256:\S+\. Connection refused before authentication/);
    expect(r.outcome!.error).toContain(parseKeyLine(hostKeyLine).fingerprint);
    expect(resolved).toEqual([]);
    expect(calls()).toEqual([]);
    await new Promise((res) => setTimeout(res, 200));
    const log = sshdLog().slice(before);
    expect(log).toMatch(/Connection (from|closed by|reset by) 127\.0\.0\.1/);
    expect(log).not.toMatch(/publickey|Accepted|Failed|userauth|Postponed/i);
  });

  test("a target with no pinned key never connects", async () => {
    const { ops, ready, resolved } = setup({ hostKeys: [] });
    await ready;
    const r = await ops.run(caller, "ops.service_status", { target_id: "web", service_name: "nginx" });
    expect(r.outcome!.error).toMatch(/has no pinned host key.*refused before authentication.*pin the key/);
    expect(resolved).toEqual([]);
  });

  test("scanHostKey reports the presented key without authenticating, for an admin to pin", async () => {
    const { ops, ready, resolved } = setup({ hostKeys: [otherKeyLine] });
    await ready;
    const k = await ops.targets.scanHostKey("acme", "web");
    const expected = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(dir, "host_key.pub")], { encoding: "utf8" }).split(" ")[1];
    expect(k).toEqual({ type: "ssh-ed25519", fingerprint: expected, line: hostKeyLine, pinned: false });
    expect(fingerprint(parseKeyLine(hostKeyLine).blob)).toBe(expected);
    expect(resolved).toEqual([]);
  });

  test("a key the server does not accept fails authentication (one attempt)", async () => {
    const { ops, ready } = setup({ key: strangerKey });
    await ready;
    const r = await ops.run(caller, "ops.service_restart", { target_id: "web", service_name: "nginx" });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(r.outcome!.error).toMatch(/authentication methods failed/);
    expect(calls()).toEqual([]);
  });

  test("an unset credential is named, never guessed", async () => {
    const t = testOps({ secrets: () => undefined });
    await putTarget(t.targets, "acme", { id: "web", name: "w", backend: "ssh", address: "127.0.0.1", port, role: "staging", credential_ref: "MISSING_KEY", options: { username: user, host_keys: [hostKeyLine] } });
    const r = await t.ops.run(caller, "ops.service_status", { target_id: "web", service_name: "nginx" });
    expect(r.outcome!.error).toMatch(/secret MISSING_KEY of tenant acme is not set/);
  });
});

describe("commands", () => {
  test("service_restart runs the quoted command on the host, wrapped in timeout", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.service_restart", { target_id: "web", service_name: "nginx", timeout: 30 });
    expect(r.outcome).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(r.outcome!.steps[0].stdout).toBe("ok restart nginx\n");
    expect(r.outcome!.action!.steps[0]).toMatchObject({ kind: "exec", command: `timeout -k 5 30 ${path.join(dir, "bin", "systemctl")} restart -- nginx` });
    expect(calls()).toEqual(["restart|--|nginx|"]);
  });

  test("each argument reaches the program as one argument, whatever it holds", () => {
    const o = { binaries: {}, remote_timeout: false } as unknown as Parameters<typeof remoteCommand>[0];
    const tricky = ["a b", "$(id)", "`id`", "x'y", "semi;colon", "new\nline", "*"];
    const cmd = remoteCommand(o, ["printf", "%s|", ...tricky], undefined, 1000);
    expect(execFileSync("/bin/sh", ["-c", cmd], { encoding: "utf8" })).toBe(`${tricky.join("|")}|`);
  });

  test("a hung command is stopped at its timeout, on the host too", async () => {
    const { ops, ready } = setup();
    await ready;
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.network_scan", { target_id: "web", subnet: "10.9.0.0/24", timeout: 1 });
    expect(r.outcome).toMatchObject({ status: "timed_out" });
    expect(Date.now() - t0).toBeLessThan(6000);
    await new Promise((res) => setTimeout(res, 1500));
    const pid = Number(read(path.join(dir, "nmap.pid")));
    expect(["gone", "Z"]).toContain(procState(pid));
  });

  test("without the remote timeout wrapper, the client deadline still ends the call", async () => {
    const { ops, ready } = setup({ remoteTimeout: false });
    await ready;
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.network_scan", { target_id: "web", subnet: "10.9.0.0/24", timeout: 1 });
    expect(r.outcome).toMatchObject({ status: "timed_out" });
    expect(r.outcome!.action!.steps[0]).toMatchObject({ command: `${path.join(dir, "bin", "nmap")} -n -sn -oG - 10.9.0.0/24` });
    expect(Date.now() - t0).toBeLessThan(5000);
    // The KILL signal request is sent, but OpenSSH refuses signals for a root login ("session
    // signalling requires privilege separation"), as this test logs in; the program may live on,
    // which is why remote_timeout defaults to true. Tidy up whatever is left.
    const pid = Number(read(path.join(dir, "nmap.pid")));
    if (procState(pid) !== "gone") process.kill(pid, "SIGKILL");
  });

  test("an abort cancels the call at once; the host's timeout wrapper ends the program by its deadline", async () => {
    const { ops, ready } = setup();
    await ready;
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 700);
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.network_scan", { target_id: "web", subnet: "10.9.0.0/24", timeout: 3 }, { signal: ctrl.signal });
    expect(r.outcome).toMatchObject({ status: "cancelled" });
    expect(Date.now() - t0).toBeLessThan(2500);
    const pid = Number(read(path.join(dir, "nmap.pid")));
    const until = Date.now() + 5000;
    while (procState(pid) !== "gone" && procState(pid) !== "Z" && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    expect(["gone", "Z"]).toContain(procState(pid));
  });

  test("a stack whose compose file resolves outside the roots does not run", async () => {
    rmSync(path.join(root, "compose.yaml"), { force: true });
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "compose.yaml"));
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.stack_deploy", { target_id: "web", stack_name: "shop", compose_file: path.join(root, "compose.yaml") });
    expect(r.outcome!.error).toMatch(/resolves outside the file root .*symlink escape/);
    expect(calls()).toEqual([]);
  });

  test("container names are checked against the host's docker inventory", async () => {
    const { ops, ready } = setup();
    await ready;
    const err = await ops.run(caller, "ops.container_restart", { target_id: "web", container_name: "db-9" }).catch((e) => e);
    expect(err.code).toBe("not_in_inventory");
    const ok = await ops.run(caller, "ops.container_restart", { target_id: "web", container_name: "web-1" });
    expect(ok.outcome).toMatchObject({ status: "succeeded" });
    expect(calls()).toEqual(["ps|--all|--format|{{.Names}}|", "restart|--time|10|--|web-1|"]);
  });
});

describe("files over SFTP stay inside the roots", () => {
  const p = (x: string) => path.join(root, x);

  test("write, read, copy, delete", async () => {
    const { ops, ready } = setup();
    await ready;
    const w = await ops.run(caller, "ops.file_write", { target_id: "web", path: p("app.conf"), content: "port: 80\n", overwrite: true });
    expect(w.outcome).toMatchObject({ status: "succeeded" });
    expect(read(p("app.conf"))).toBe("port: 80\n");
    const r = await ops.run(caller, "ops.file_read", { target_id: "web", path: p("app.conf") });
    expect(r.outcome!.steps[0].data).toEqual({ path: p("app.conf"), size: 9, truncated: false, encoding: "utf8", content: "port: 80\n" });
    const c = await ops.run(caller, "ops.file_copy", { target_id: "web", source: p("app.conf"), destination: p("app.conf.bak"), overwrite: true });
    expect(c.outcome).toMatchObject({ status: "succeeded" });
    expect(read(p("app.conf.bak"))).toBe("port: 80\n");
    const exists = await ops.run(caller, "ops.file_copy", { target_id: "web", source: p("app.conf"), destination: p("app.conf.bak") });
    expect(exists.outcome!.error).toMatch(/exists; pass overwrite: true/);
    const d = await ops.run(caller, "ops.file_delete", { target_id: "web", path: p("app.conf.bak") });
    expect(d.outcome).toMatchObject({ status: "succeeded" });
    expect(existsSync(p("app.conf.bak"))).toBe(false);
  });

  test("symlink escapes are refused by the server-resolved path", async () => {
    for (const n of ["leak", "leak-dir"]) rmSync(p(n), { force: true });
    symlinkSync(path.join(outside, "secret.txt"), p("leak"));
    symlinkSync(outside, p("leak-dir"));
    const { ops, ready } = setup();
    await ready;
    const a = await ops.run(caller, "ops.file_read", { target_id: "web", path: p("leak") });
    expect(a.outcome!.error).toMatch(/resolves outside the file root .*symlink escape/);
    expect(JSON.stringify(a.outcome)).not.toContain("TOP SECRET");
    const b = await ops.run(caller, "ops.file_read", { target_id: "web", path: p("leak-dir/secret.txt") });
    expect(b.outcome!.error).toMatch(/symlink escape/);
    const c = await ops.run(caller, "ops.file_write", { target_id: "web", path: p("leak"), content: "pwned", overwrite: true });
    expect(c.outcome!.error).toMatch(/symlink; writing through a link is refused/);
    const d = await ops.run(caller, "ops.file_write", { target_id: "web", path: p("leak-dir/new.txt"), content: "pwned" });
    expect(d.outcome!.error).toMatch(/symlink escape/);
    expect(read(path.join(outside, "secret.txt"))).toBe("TOP SECRET\n");
    expect(existsSync(path.join(outside, "new.txt"))).toBe(false);
  });
});
