import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { adminQuery } from "../../lib/db/admin-query";
import { E2E_DATA_DIR } from "../constants";

/**
 * The seed-examples suite runs the five source documents' examples in their own words: the same
 * paths, bodies and flags, with `npx canopy` in place of their python scripts, a bearer token
 * where a document omits one, and our port.
 */

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx canopy …` in the repository, as a user types it, against the e2e server's data folder. */
export function canopy(args: string[], env: Record<string, string | undefined> = {}): Run {
  const r = spawnSync("npx", ["canopy", ...args], {
    encoding: "utf8",
    env: { ...process.env, CANOPY_DATA_DIR: E2E_DATA_DIR, ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A shell command line, for the examples that pipe (`$(cat …)`, `| jq`): bash -c. */
export function sh(line: string, env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Run {
  const r = spawnSync("bash", ["-c", line], { encoding: "utf8", env: { ...process.env, CANOPY_DATA_DIR: E2E_DATA_DIR, ...env }, timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface StartedServer {
  url: string;
  output: () => string;
  /** Its data folder and database, for `npx canopy` against it (mint-token with its key). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A second production server (the e2e build) with the environment a seed example sets, on its own
 * data folder and database (a fresh Postgres database next to DATABASE_URL's, else embedded) and
 * the in-process store, so it never disturbs the e2e server. Resolves when healthy; rejects with
 * its output when it exits first (a server that refuses to start).
 */
export async function startServer(env: Record<string, string>, timeoutMs = 90_000): Promise<StartedServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "canopy-seed-"));
  const base = process.env.DATABASE_URL;
  let dbName: string | null = null;
  let databaseUrl: string | undefined;
  if (base) {
    dbName = `canopy_seed_${randomBytes(5).toString("hex")}`;
    await adminQuery(base, `CREATE DATABASE "${dbName}"`);
    const u = new URL(base);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), CANOPY_DATA_DIR: dataDir, PORT: String(port), NEXTAUTH_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn", ...env };
  delete childEnv.REDIS_URL;
  if (databaseUrl) childEnv.DATABASE_URL = databaseUrl;
  else delete childEnv.DATABASE_URL;
  let out = "";
  const child: ChildProcess = spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], { env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (base && dbName) await adminQuery(base, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
  };
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new ServerRefused(out);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) return { url, output: () => out, stop: cleanup, env: { CANOPY_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } };
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) {
      await cleanup();
      throw new Error(`server did not become healthy within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export class ServerRefused extends Error {
  constructor(readonly output: string) {
    super(`the server exited before it was healthy:\n${output}`);
  }
}

/** A seed's command line with its host (localhost:8080 in seed 000, :8000 in seed 004) pointed at the e2e server. */
export function onE2E(line: string, base: string): string {
  return line.replace(/http:\/\/localhost:(8080|8000)/g, base);
}
