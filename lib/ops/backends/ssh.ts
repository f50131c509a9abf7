/**
 * The ssh backend (ssh2): commands and SFTP file operations on a remote host.
 *
 * - Host keys are pinned per target (options.host_keys, OpenSSH public key lines). The key the
 *   server presents during key exchange must be one of them, else the connection is refused
 *   before authentication starts: a target with no pinned key, or a server presenting another key,
 *   never receives a login attempt. `scanHostKey` reports the presented key (and authenticates
 *   nothing) so an admin can compare its fingerprint and pin it.
 * - The private key is a referenced secret, resolved only once the host key has been verified
 *   (in ssh2's authHandler), used for one publickey attempt, and never stored or returned.
 * - Commands are argument lists, each argument single-quoted for the remote shell, optionally
 *   wrapped in coreutils `timeout` so a hung program dies on the host too; the client side keeps
 *   its own deadline, and cancellation closes the channel (after a KILL signal request).
 * - Files go through SFTP: paths resolved by the server (realpath, symlinks followed) must stay
 *   inside the target's roots; writes never go through a symlink at the final component.
 */
import { createHash } from "node:crypto";
import { type AuthenticationType, Client, type ClientChannel, type OpenMode, type SFTPWrapper, type Stats } from "ssh2";
import { AppError } from "@/lib/errors";
import type { OperationSpec } from "../catalog";
import { LIST_CONTAINERS } from "../commands";
import { resolveTargetAddress } from "../net";
import { BoundedOutput } from "../output";
import { shellCommand } from "../quote";
import { type HostTool, optionsOf, type SshOptions } from "../targets";
import type { ActionStep, ConnectivityResult, Plan, Target } from "../types";
import { MAX_COPY_BYTES, rootOf } from "./confine";
import { hostProblems, planHost } from "./host-plan";
import { contentText, errorText, runSteps } from "./steps";
import type { Backend, BackendContext } from "./types";

/** SHA256 fingerprint as OpenSSH prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString("ascii") : "unknown";
}

export function parseKeyLine(line: string): { type: string; blob: Buffer; fingerprint: string } {
  const [type, b64] = line.trim().split(/\s+/);
  const blob = Buffer.from(b64 ?? "", "base64");
  if (keyType(blob) !== type) throw new AppError(400, "bad_host_key", `pinned host key ${type} does not hold a ${type} key`);
  return { type, blob, fingerprint: fingerprint(blob) };
}

export class HostKeyError extends AppError {
  constructor(target: string, presented: Buffer | null, pinned: string[]) {
    const got = presented ? `${keyType(presented)} ${fingerprint(presented)}` : "no key";
    super(
      502,
      pinned.length === 0 ? "ssh_host_key_unknown" : "ssh_host_key_mismatch",
      pinned.length === 0
        ? `target ${target} has no pinned host key; the server presented ${got}. Connection refused before authentication: check the fingerprint out of band and pin the key (options.host_keys)`
        : `host key of target ${target} does not match: the server presented ${got}, pinned ${pinned.join(", ")}. Connection refused before authentication`,
      { presented: presented ? { type: keyType(presented), fingerprint: fingerprint(presented) } : null, pinned },
    );
  }
}

/** ssh2 takes `false` from an authHandler to stop authenticating; its typings omit it. */
const NO_MORE_AUTH = false as unknown as AuthenticationType;

const sshError = (target: string, e: unknown) =>
  e instanceof AppError ? e : new AppError(502, "ssh_failed", `ssh to target ${target} failed: ${errorText(e)}`);

interface ConnectOptions {
  signal?: AbortSignal;
}

/** Connects and authenticates. Host key verification comes first; the key secret is read only after it. */
export async function connect(ctx: BackendContext, target: Target, opts: ConnectOptions = {}): Promise<Client> {
  const o = optionsOf(target, "ssh");
  const pinned = o.host_keys.map(parseKeyLine);
  if (pinned.length === 0) throw new HostKeyError(target.id, null, []);
  if (!target.credentialRef) throw new AppError(400, "missing_credential", `target ${target.id} has no credential_ref`);
  const credentialRef = target.credentialRef;
  const host = await resolveTargetAddress(target.address!, ctx.config.allowLoopbackTargets);
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | null = null;
    let hostOk = false;
    let attempted = false;
    let secretError: unknown = null;
    let settled = false;
    const settle = (err: unknown, c?: Client) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) {
        client.destroy();
        reject(err);
      } else resolve(c!);
    };
    const onAbort = () => settle(new AppError(499, "cancelled", "cancelled while connecting"));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    client.on("ready", () => settle(null, client));
    client.on("error", (err) => {
      if (presented !== null && !hostOk) settle(new HostKeyError(target.id, presented, pinned.map((k) => `${k.type} ${k.fingerprint}`)));
      else if (secretError) settle(secretError);
      else settle(sshError(target.id, err));
    });
    client.on("close", () => settle(new AppError(502, "ssh_failed", `ssh to target ${target.id}: connection closed before it was ready`)));
    client.connect({
      host,
      port: target.port ?? 22,
      username: o.username,
      readyTimeout: ctx.config.connectTimeoutMs,
      keepaliveInterval: 0,
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        hostOk = pinned.some((k) => k.blob.equals(key));
        return hostOk;
      },
      authHandler: (_methodsLeft, _partial, next) => {
        // One publickey attempt with the referenced key, only after the host key was verified.
        if (attempted || !hostOk) return next(NO_MORE_AUTH);
        attempted = true;
        Promise.all([ctx.secret(credentialRef), o.passphrase_ref ? ctx.secret(o.passphrase_ref) : Promise.resolve(undefined)]).then(
          ([key, passphrase]) => next({ type: "publickey", username: o.username, key, ...(passphrase !== undefined ? { passphrase } : {}) }),
          (e) => {
            secretError = e;
            next(NO_MORE_AUTH);
          },
        );
      },
    });
  });
}

/** The key the server presents, without authenticating (the client refuses it on purpose, then disconnects). */
export async function scanHostKey(ctx: BackendContext, target: Target): Promise<{ type: string; fingerprint: string; line: string; pinned: boolean }> {
  const o = optionsOf(target, "ssh");
  const pinned = o.host_keys.map(parseKeyLine);
  const host = await resolveTargetAddress(target.address!, ctx.config.allowLoopbackTargets);
  const key = await new Promise<Buffer>((resolve, reject) => {
    const client = new Client();
    let got: Buffer | null = null;
    const done = () => {
      client.destroy();
      if (got) resolve(got);
      else reject(new AppError(502, "ssh_failed", `target ${target.id} presented no host key`));
    };
    client.on("error", done);
    client.on("close", done);
    client.connect({
      host,
      port: target.port ?? 22,
      username: o.username,
      readyTimeout: ctx.config.connectTimeoutMs,
      hostVerifier: (k: Buffer) => {
        got = Buffer.from(k);
        return false;
      },
      authHandler: (_m, _p, next) => next(NO_MORE_AUTH),
    });
  });
  const type = keyType(key);
  return { type, fingerprint: fingerprint(key), line: `${type} ${key.toString("base64")}`, pinned: pinned.some((k) => k.blob.equals(key)) };
}

interface ExecResult {
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timed_out: boolean;
  cancelled: boolean;
  duration_ms: number;
}

export function execRemote(client: Client, command: string, opts: { timeoutMs: number; signal?: AbortSignal; maxBytes: number }): Promise<ExecResult> {
  const started = performance.now();
  const stdout = new BoundedOutput(opts.maxBytes);
  const stderr = new BoundedOutput(opts.maxBytes);
  return new Promise((resolve, reject) => {
    let code: number | null = null;
    let sig: string | null = null;
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let channel: ClientChannel | null = null;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({ exit_code: code, signal: sig, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated, timed_out: timedOut, cancelled, duration_ms: Math.round(performance.now() - started) });
    };
    const stop = () => {
      if (channel) {
        try {
          channel.signal("KILL");
        } catch {
          // the server may not support signal requests; closing the channel follows
        }
        channel.close();
      }
      setTimeout(finish, 1000).unref();
    };
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    client.exec(command, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        settled = true;
        reject(err);
        return;
      }
      channel = stream;
      if (timedOut || cancelled) stop();
      stream.on("data", (d: Buffer) => stdout.push(d));
      stream.stderr.on("data", (d: Buffer) => stderr.push(d));
      stream.on("exit", (c: number | null, s?: string) => {
        code = typeof c === "number" ? c : null;
        sig = s ?? null;
      });
      stream.on("close", finish);
    });
  });
}

/* ---------------- SFTP, confined ---------------- */

const sftpOf = (client: Client) => new Promise<SFTPWrapper>((res, rej) => client.sftp((e, s) => (e ? rej(e) : res(s))));
const call = <T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void) => new Promise<T>((res, rej) => fn((e, v) => (e ? rej(e) : res(v))));
const noEntry = (e: unknown) => (e as { code?: number }).code === 2; // SSH_FX_NO_SUCH_FILE
const isUnder = (p: string, root: string) => p.startsWith(root === "/" ? "/" : `${root}/`) && p !== root;
const outside = (m: string) => new AppError(403, "path_outside_roots", m);

async function remoteRealpath(sftp: SFTPWrapper, p: string, what: string): Promise<string> {
  try {
    return await call<string>((cb) => sftp.realpath(p, cb));
  } catch (e) {
    if (noEntry(e)) throw new AppError(404, "file_not_found", `${what} does not exist`);
    throw e;
  }
}

async function remoteExisting(sftp: SFTPWrapper, roots: string[], p: string): Promise<string> {
  const root = rootOf(roots, p);
  const rootReal = await remoteRealpath(sftp, root, `file root ${root}`);
  const real = await remoteRealpath(sftp, p, p);
  if (!isUnder(real, rootReal)) throw outside(`${p} resolves outside the file root ${root}: refused (symlink escape)`);
  return real;
}

async function remoteEntry(sftp: SFTPWrapper, roots: string[], p: string): Promise<{ real: string; existing: Stats | null }> {
  const root = rootOf(roots, p);
  const rootReal = await remoteRealpath(sftp, root, `file root ${root}`);
  const slash = p.lastIndexOf("/");
  const parent = await remoteRealpath(sftp, p.slice(0, slash) || "/", `the folder of ${p}`);
  if (parent !== rootReal && !isUnder(parent, rootReal)) throw outside(`the folder of ${p} resolves outside the file root ${root}: refused (symlink escape)`);
  const real = `${parent === "/" ? "" : parent}/${p.slice(slash + 1)}`;
  try {
    return { real, existing: await call<Stats>((cb) => sftp.lstat(real, cb)) };
  } catch (e) {
    if (noEntry(e)) return { real, existing: null };
    throw e;
  }
}

async function readHandle(sftp: SFTPWrapper, handle: Buffer, max: number): Promise<Buffer> {
  const buf = Buffer.alloc(max);
  let got = 0;
  while (got < max) {
    const n = await new Promise<number>((res, rej) => sftp.read(handle, buf, got, Math.min(32_768, max - got), got, (e, bytesRead) => (e ? rej(e) : res(bytesRead))));
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

async function writeHandle(sftp: SFTPWrapper, handle: Buffer, content: Buffer): Promise<void> {
  for (let off = 0; off < content.length; off += 32_768) {
    const len = Math.min(32_768, content.length - off);
    await new Promise<void>((res, rej) => sftp.write(handle, content, off, len, off, (e) => (e ? rej(e) : res())));
  }
}

async function withHandle<T>(sftp: SFTPWrapper, p: string, flags: OpenMode, mode: number | undefined, fn: (h: Buffer) => Promise<T>): Promise<T> {
  const h = await call<Buffer>((cb) => sftp.open(p, flags, mode === undefined ? {} : { mode }, cb));
  try {
    return await fn(h);
  } finally {
    await call<void>((cb) => sftp.close(h, cb)).catch(() => undefined);
  }
}

const notFile = (p: string) => new AppError(400, "not_a_file", `${p} is not a regular file`);

async function sftpFileOp(client: Client, step: Extract<ActionStep, { kind: "file" }>, plan: Plan, roots: string[]): Promise<Record<string, unknown>> {
  const sftp = await sftpOf(client);
  try {
    const checkDest = (existing: Stats | null, p: string, overwrite: boolean) => {
      if (!existing) return;
      if (existing.isSymbolicLink()) throw outside(`${p} is a symlink; writing through a link is refused`);
      if (!existing.isFile()) throw notFile(p);
      if (!overwrite) throw new AppError(409, "file_exists", `${p} exists; pass overwrite: true to replace it`);
    };
    switch (step.op) {
      case "read": {
        const real = await remoteExisting(sftp, roots, step.path);
        return await withHandle(sftp, real, "r", undefined, async (h) => {
          const st = await call<Stats>((cb) => sftp.fstat(h, cb));
          if (!st.isFile()) throw notFile(step.path);
          const content = await readHandle(sftp, h, Math.min(step.max_bytes ?? 65_536, st.size));
          return { path: step.path, size: st.size, truncated: st.size > content.length, ...contentText(content) };
        });
      }
      case "write": {
        const content = plan.payload?.content;
        if (!content) throw new Error("file_write plan carries no content");
        const { real, existing } = await remoteEntry(sftp, roots, step.path);
        checkDest(existing, step.path, step.overwrite === true);
        const mode = parseInt(step.mode ?? "0644", 8);
        await withHandle(sftp, real, step.overwrite ? "w" : "wx", mode, async (h) => {
          await writeHandle(sftp, h, content);
          await call<void>((cb) => sftp.fchmod(h, mode, cb));
        });
        return { path: step.path, bytes: content.length, created: existing === null, sha256: step.sha256 };
      }
      case "delete": {
        const { real, existing } = await remoteEntry(sftp, roots, step.path);
        if (!existing) throw new AppError(404, "file_not_found", `${step.path} does not exist`);
        if (existing.isDirectory()) throw new AppError(400, "not_a_file", `${step.path} is a directory; file_delete removes files only`);
        await call<void>((cb) => sftp.unlink(real, cb));
        return { path: step.path, deleted: existing.isSymbolicLink() ? "symlink" : "file" };
      }
      case "copy": {
        const src = await remoteExisting(sftp, roots, step.path);
        const dst = await remoteEntry(sftp, roots, step.destination!);
        checkDest(dst.existing, step.destination!, step.overwrite === true);
        const content = await withHandle(sftp, src, "r", undefined, async (h) => {
          const st = await call<Stats>((cb) => sftp.fstat(h, cb));
          if (!st.isFile()) throw notFile(step.path);
          if (st.size > MAX_COPY_BYTES) throw new AppError(413, "file_too_large", `${step.path} is ${st.size} bytes; file_copy copies at most ${MAX_COPY_BYTES}`);
          return { data: await readHandle(sftp, h, st.size), mode: (st.mode ?? 0o644) & 0o777 };
        });
        await withHandle(sftp, dst.real, step.overwrite ? "w" : "wx", content.mode, (h) => writeHandle(sftp, h, content.data));
        return { source: step.path, destination: step.destination, bytes: content.data.length };
      }
    }
  } finally {
    sftp.end();
  }
}

/* ---------------- the backend ---------------- */

function program(o: SshOptions, tool: HostTool): string {
  return o.binaries[tool] ?? tool;
}

/** The remote command line: [timeout -k 5 N] [env K=V…] program args…, each argument single-quoted. */
export function remoteCommand(o: SshOptions, argv: string[], env: Record<string, string> | undefined, timeoutMs: number): string {
  const envPart = env && Object.keys(env).length > 0 ? [program(o, "env"), ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : [];
  const wrap = o.remote_timeout ? [program(o, "timeout"), "-k", "5", String(Math.max(1, Math.ceil(timeoutMs / 1000)))] : [];
  return shellCommand([...wrap, ...envPart, ...argv]);
}

export function sshBackend(): Backend {
  return {
    name: "ssh",

    validate(target: Target, op: OperationSpec, p: Record<string, unknown>): string[] {
      return hostProblems(target, op, p, optionsOf(target, "ssh"));
    },

    async plan(_ctx, target, op, p, timeoutMs) {
      const o = optionsOf(target, "ssh");
      return planHost(target, op, p, o, timeoutMs, (tool) => program(o, tool), `${o.username}@${target.address}:${target.port ?? 22} (ssh)`, (argv, env) => remoteCommand(o, argv, env, timeoutMs));
    },

    async execute(ctx, target, plan, opts) {
      const o = optionsOf(target, "ssh");
      let client: Client | null = null;
      try {
        return await runSteps(plan, opts, async (step, index, remainingMs, signal) => {
          const t0 = performance.now();
          const base = { step: index, exit_code: null, stdout: "", stderr: "", truncated: false };
          const took = () => Math.round(performance.now() - t0);
          try {
            client ??= await connect(ctx, target, { signal });
          } catch (e) {
            return { ...base, ok: false, error: errorText(e), duration_ms: took() };
          }
          if (step.kind === "file") {
            try {
              const data = await sftpFileOp(client, step, plan, o.file_roots);
              return { ...base, exit_code: 0, data, truncated: Boolean(data.truncated), duration_ms: took(), ok: true };
            } catch (e) {
              return { ...base, ok: false, error: errorText(e), duration_ms: took() };
            }
          }
          if (step.kind !== "exec" || !step.command) return { ...base, ok: false, error: "the ssh backend runs commands and file steps only", duration_ms: took() };
          if (step.confine?.length) {
            try {
              const sftp = await sftpOf(client);
              try {
                for (const c of step.confine) await remoteExisting(sftp, o.file_roots, c);
              } finally {
                sftp.end();
              }
            } catch (e) {
              return { ...base, ok: false, error: errorText(e), duration_ms: took() };
            }
          }
          const r = await execRemote(client, step.command, { timeoutMs: remainingMs(), signal, maxBytes: ctx.config.outputMaxBytes });
          // coreutils timeout exits 124 when it stopped the program, 137 when it had to KILL it.
          const remoteTimedOut = o.remote_timeout && (r.exit_code === 124 || r.exit_code === 137);
          const ok = !r.timed_out && !r.cancelled && !remoteTimedOut && r.exit_code !== null && (step.ok_exit_codes ?? [0]).includes(r.exit_code);
          return {
            step: index,
            exit_code: r.exit_code,
            signal: r.signal,
            stdout: r.stdout,
            stderr: r.stderr,
            truncated: r.truncated,
            duration_ms: r.duration_ms,
            ok,
            ...(remoteTimedOut ? { status: "timed_out" as const, error: `stopped on the host by timeout after ${Math.ceil(plan.action.timeout_ms / 1000)} s` } : {}),
            ...(!ok && !remoteTimedOut && r.exit_code !== null ? { error: `${step.argv[0]} exited with ${r.exit_code}` } : {}),
          };
        });
      } finally {
        (client as Client | null)?.end();
      }
    },

    async test(ctx, target, opts) {
      const t0 = performance.now();
      const o = optionsOf(target, "ssh");
      try {
        const client = await connect(ctx, target, opts);
        client.end();
        return { ok: true, backend: "ssh", target: target.id, latency_ms: Math.round(performance.now() - t0), details: { address: target.address, port: target.port ?? 22, username: o.username, authenticated: true, host_key: "pinned key matched" } };
      } catch (e) {
        const r: ConnectivityResult = { ok: false, backend: "ssh", target: target.id, latency_ms: Math.round(performance.now() - t0), details: e instanceof AppError && e.details ? { ...(e.details as object) } : {}, error: errorText(e) };
        return r;
      }
    },

    async inventory(ctx, target, source, opts) {
      if (source !== "list_containers") throw new Error(`unknown inventory ${source}`);
      const o = optionsOf(target, "ssh");
      const client = await connect(ctx, target, opts);
      try {
        const r = await execRemote(client, remoteCommand(o, [program(o, LIST_CONTAINERS.tool), ...LIST_CONTAINERS.args], undefined, ctx.config.connectTimeoutMs), {
          timeoutMs: ctx.config.connectTimeoutMs,
          signal: opts?.signal,
          maxBytes: 1024 * 1024,
        });
        if (r.exit_code !== 0) throw new AppError(502, "inventory_failed", `listing containers on ${target.id} failed (exit ${r.exit_code})`);
        return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
      } finally {
        client.end();
      }
    },
  };
}
