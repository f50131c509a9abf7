/**
 * A real OpenSSH server on loopback for tests (Debian's openssh-server; .ci/run installs it): run
 * as the current user with a generated host key, one authorized client key, and stub programs in
 * `bin/` that append their arguments to `calls.log`. Tests only.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";

export const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
  dir: string;
  port: number;
  user: string;
  hostKeyLine: string;
  clientKey: string;
  /** Absolute paths of the stub programs, by name. */
  bin: Record<string, string>;
  /** Lines written by the stubs: one per call, arguments joined by `|`. */
  calls(): string[];
  /** How many TCP connections sshd has accepted so far (from its log). */
  connections(): number;
  stop(): void;
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(p: number, ms: number, log: string) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = tcpConnect(p, "127.0.0.1", () => (c.destroy(), res(true)));
      c.on("error", () => res(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd did not listen on ${p}; log:\n${read(log)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `stubs`: program name → shell body run after the call is logged (e.g. `echo "ok $1 $3"`). */
export async function startTestSshd(stubs: Record<string, string>): Promise<TestSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server; .ci/run does)`);
  const dir = mkdtempSync(path.join(tmpdir(), "ops-sshd-"));
  mkdirSync(path.join(dir, "bin"));
  const keygen = (file: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
  keygen(path.join(dir, "host_key"));
  keygen(path.join(dir, "client_key"));
  writeFileSync(path.join(dir, "authorized_keys"), read(path.join(dir, "client_key.pub")), { mode: 0o600 });
  const callsLog = path.join(dir, "calls.log");
  const sshdLog = path.join(dir, "sshd.log");
  const bin: Record<string, string> = {};
  for (const [name, body] of Object.entries(stubs)) {
    const p = path.join(dir, "bin", name);
    writeFileSync(p, `#!/bin/sh\nprintf '%s|' "$0" "$@" >> ${callsLog}; echo >> ${callsLog}\n${body}\n`);
    chmodSync(p, 0o755);
    bin[name] = p;
  }
  const port = await freePort();
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "Subsystem sftp internal-sftp",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(SSHD, ["-D", "-f", path.join(dir, "sshd_config"), "-p", String(port), "-E", sshdLog], { stdio: "ignore" });
  await waitForPort(port, 10_000, sshdLog);
  // The readiness probe above is one connection; count from here.
  const probe = (read(sshdLog).match(/Connection from/g) ?? []).length;
  return {
    dir,
    port,
    user: userInfo().username,
    hostKeyLine: read(path.join(dir, "host_key.pub")).trim(),
    clientKey: read(path.join(dir, "client_key")),
    bin,
    calls: () => read(callsLog).split("\n").filter(Boolean),
    connections: () => (read(sshdLog).match(/Connection from/g) ?? []).length - probe,
    stop: () => {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
