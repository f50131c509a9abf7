import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { ChildProcess } from "node:child_process";
import type { HttpServerConfig, ServerConfig, StdioServerConfig } from "./config";
import type { Dispatcher } from "undici";
import { PooledHttpClient } from "./http-pool-client";
import type { FetchLike } from "./network-guard";
import { interpolateRecord, type SecretResolver } from "./secrets";

export interface TransportContext {
  /** Relative paths in the config (cwd, create_dirs, command, package lookup) resolve from here. */
  baseDir: string;
  resolveSecret: SecretResolver;
  /** HTTP upstreams: the fetch every request goes through (admin-managed ones: address-checked). */
  fetch?: FetchLike;
  /** HTTP upstreams: the pooled keep-alive dispatcher tool calls use (admin-managed ones: address-checked). */
  dispatcher?: Dispatcher;
}

export interface BuiltTransport {
  transport: Transport;
  /** Last lines the process wrote to stderr since the last reset, for error messages (stdio only). */
  stderrTail(): string;
  /** Forget stderr so far (the start-up banner is noise in a crash message). */
  resetStderr(): void;
  /** How the process ended ("was killed by SIGKILL", "exited with code 3"); null while running or for HTTP. */
  exitInfo(): string | null;
  pid(): number | null;
  /** HTTP upstreams: tool calls go straight over pooled sockets, in the SDK session's id and revision. */
  pooled?: PooledHttpClient;
}

/**
 * The `bin` of an installed package, found by walking up node_modules from baseDir. Read from
 * package.json instead of require.resolve so bundlers cannot rewrite it, and never via npx,
 * which would download code at runtime.
 */
export function resolvePackageBin(pkg: string, bin: string | undefined, baseDir: string): string {
  for (let dir = path.resolve(baseDir); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "node_modules", pkg, "package.json");
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, "utf8")) as { bin?: string | Record<string, string> };
      const bins = typeof json.bin === "string" ? { [pkg.split("/").pop()!]: json.bin } : (json.bin ?? {});
      const names = Object.keys(bins);
      const chosen = bin ?? (names.length === 1 ? names[0] : undefined);
      if (!chosen || !bins[chosen]) {
        throw new Error(`package ${pkg} has bins [${names.join(", ")}]: choose one with \`bin\``);
      }
      return path.join(dir, "node_modules", pkg, bins[chosen]);
    }
    if (path.dirname(dir) === dir) throw new Error(`package ${pkg} is not installed (looked for node_modules/${pkg} above ${baseDir})`);
  }
}

const STDERR_TAIL = 4096;

function stdioTransport(s: StdioServerConfig, ctx: TransportContext): BuiltTransport {
  for (const d of s.create_dirs) mkdirSync(path.resolve(ctx.baseDir, d), { recursive: true });
  const cwd = path.resolve(ctx.baseDir, s.cwd ?? ".");
  let command: string;
  let args = s.args;
  if (s.package) {
    command = process.execPath;
    args = [resolvePackageBin(s.package, s.bin, ctx.baseDir), ...s.args];
  } else {
    const c = s.command!;
    command = c.startsWith("./") || c.startsWith("../") ? path.resolve(ctx.baseDir, c) : c;
  }
  const transport = new StdioClientTransport({
    command,
    args,
    cwd,
    env: interpolateRecord(s.env, ctx.resolveSecret, `upstream ${s.name} env`),
    stderr: "pipe",
  });
  // Keep the tail of stderr for messages; reading it also keeps a chatty child from blocking.
  let tail = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL);
  });
  // The SDK reports a closed transport without the exit status; read it from the child itself.
  let exit: string | null = null;
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    const child = (transport as unknown as { _process?: ChildProcess })._process;
    child?.once("exit", (code, signal) => {
      exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    });
  };
  return {
    transport,
    stderrTail: () => tail.trim().split("\n").slice(-3).join(" | "),
    resetStderr: () => {
      tail = "";
    },
    exitInfo: () => exit,
    pid: () => transport.pid,
  };
}

function httpTransport(s: HttpServerConfig, ctx: TransportContext): BuiltTransport {
  const headers = interpolateRecord(s.headers, ctx.resolveSecret, `upstream ${s.name} headers`);
  const transport = new StreamableHTTPClientTransport(new URL(s.url), {
    requestInit: { headers },
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    // A lost notification stream is not worth retries here: calls reconnect on their own.
    reconnectionOptions: { maxReconnectionDelay: 5_000, initialReconnectionDelay: 500, reconnectionDelayGrowFactor: 2, maxRetries: 2 },
  });
  const pooled = new PooledHttpClient({ url: s.url, headers, ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}) });
  return { transport, stderrTail: () => "", resetStderr: () => {}, exitInfo: () => null, pid: () => null, pooled };
}

/** A fresh transport for one connection attempt; throws (e.g. an unset secret) before any I/O. */
export function buildTransport(s: ServerConfig, ctx: TransportContext): BuiltTransport {
  return s.transport === "stdio" ? stdioTransport(s, ctx) : httpTransport(s, ctx);
}
