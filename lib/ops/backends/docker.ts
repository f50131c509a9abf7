/**
 * The docker backend: the Docker Engine API through dockerode's modem (HTTP over a Unix socket,
 * or HTTPS over TCP). Plain TCP is refused: an unauthenticated Docker API is root on its host,
 * so TCP targets need TLS with a pinned CA (options.tls.ca_ref) and usually a client certificate
 * (cert_ref/key_ref); all three are referenced secrets. Sockets are on the gateway host and only
 * those the operator lists. Each action step is one API request, described (method, path, query,
 * body) before it is sent and sent exactly as described; creation never asks for privileged
 * mode, host mounts or capabilities.
 */
import https from "node:https";
import Docker from "dockerode";
import { AppError } from "@/lib/errors";
import type { OperationSpec } from "../catalog";
import { guardedLookup } from "../net";
import type { IncomingMessage } from "node:http";
import { BoundedOutput } from "../output";
import { type DockerOptions, optionsOf } from "../targets";
import type { ActionStep, ConnectivityResult, Plan, Target } from "../types";
import { action } from "./host-plan";
import { errorText, runSteps } from "./steps";
import type { Backend, BackendContext, RunOptions } from "./types";

type P = Record<string, unknown>;
const INVENTORY_MAX_BYTES = 4 * 1024 * 1024;
type HttpStep = Extract<ActionStep, { kind: "http" }>;

const c = (name: unknown) => `/containers/${encodeURIComponent(name as string)}`;

/** The API requests of an operation (pure). */
export function dockerSteps(op: OperationSpec, p: P): HttpStep[] {
  switch (op.name) {
    case "container_create": {
      const ports = (p.ports as { container_port: number; host_port?: number; protocol: string; host_ip: string }[] | undefined) ?? [];
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const m of ports) {
        const key = `${m.container_port}/${m.protocol}`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: m.host_ip, HostPort: m.host_port === undefined ? "" : String(m.host_port) });
      }
      const body: P = {
        Image: p.image,
        ...(p.command ? { Cmd: p.command } : {}),
        ...(p.env ? { Env: Object.entries(p.env as Record<string, string>).map(([k, v]) => `${k}=${v}`) } : {}),
        ...(ports.length > 0 ? { ExposedPorts: exposed } : {}),
        HostConfig: {
          ...(ports.length > 0 ? { PortBindings: bindings } : {}),
          RestartPolicy: { Name: p.restart_policy === "no" ? "" : p.restart_policy },
          ...(p.memory_mb !== undefined ? { Memory: (p.memory_mb as number) * 1024 * 1024 } : {}),
          ...(p.cores !== undefined ? { NanoCpus: (p.cores as number) * 1e9 } : {}),
        },
      };
      const steps: HttpStep[] = [{ kind: "http", method: "POST", path: "/containers/create", query: { name: p.container_name as string }, body }];
      if (p.start === true) steps.push({ kind: "http", method: "POST", path: `${c(p.container_name)}/start` });
      return steps;
    }
    case "container_delete":
      return [{ kind: "http", method: "DELETE", path: c(p.container_name), query: { force: p.force === true, v: p.remove_volumes === true } }];
    case "container_start":
      return [{ kind: "http", method: "POST", path: `${c(p.container_name)}/start` }];
    case "container_stop":
    case "container_restart":
      return [{ kind: "http", method: "POST", path: `${c(p.container_name)}/${op.name.slice("container_".length)}`, query: { t: p.grace_seconds as number } }];
    case "container_inspect":
      return [{ kind: "http", method: "GET", path: `${c(p.container_name)}/json` }];
    case "network_status":
      return [{ kind: "http", method: "GET", path: "/networks" }];
    default:
      throw new Error(`the docker backend does not run ${op.name}`);
  }
}

/** A dockerode client for the target: its socket, or HTTPS with the referenced TLS material. */
async function client(ctx: BackendContext, target: Target): Promise<Docker> {
  const o: DockerOptions = optionsOf(target, "docker");
  // Every connection setting is given, so DOCKER_HOST / DOCKER_CERT_PATH of the gateway's own
  // environment (read by docker-modem's defaults) can never redirect a target.
  const none = { host: undefined, port: undefined, socketPath: undefined, ca: undefined, cert: undefined, key: undefined, protocol: undefined };
  if (o.socket_path) {
    if (!ctx.config.docker.sockets.includes(o.socket_path)) throw new AppError(403, "socket_refused", `docker socket ${o.socket_path} is not one the operator allows (OPS_DOCKER_SOCKETS)`);
    return new Docker({ ...none, socketPath: o.socket_path, version: o.api_version, timeout: 0 } as Docker.DockerOptions);
  }
  if (!o.tls) throw new AppError(400, "tls_required", `docker target ${target.id} uses TCP without TLS: an unauthenticated Docker API is root on its host; set options.tls (ca_ref, cert_ref, key_ref)`);
  const [ca, cert, key] = await Promise.all([ctx.secret(o.tls.ca_ref), o.tls.cert_ref ? ctx.secret(o.tls.cert_ref) : undefined, o.tls.key_ref ? ctx.secret(o.tls.key_ref) : undefined]);
  const agent = new https.Agent({ ca, cert, key, rejectUnauthorized: true, lookup: guardedLookup(ctx.config.allowLoopbackTargets), timeout: ctx.config.connectTimeoutMs, keepAlive: false });
  return new Docker({ ...none, host: target.address!, port: target.port ?? 2376, protocol: "https", ca, cert, key, version: o.api_version, agent, timeout: 0 } as Docker.DockerOptions);
}

/** Every status is handed back as a stream: the backend reads it itself, bounded, and keeps the real status. */
const ALL_STATUSES = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [i + 100, true]));

/** One request through the modem: the HTTP status and the answer (JSON when it parses), at most `maxBytes` read. */
export function dial(docker: Docker, step: HttpStep, signal: AbortSignal, maxBytes: number): Promise<{ status: number; body: unknown; truncated: boolean }> {
  const modem = (docker as unknown as { modem: { dial(o: object, cb: (err: Error | null, res: IncomingMessage) => void): void } }).modem;
  const hasQuery = step.query !== undefined && Object.keys(step.query).length > 0;
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: hasQuery ? `${step.path}?` : step.path,
        method: step.method,
        options: { _query: step.query ?? {}, _body: step.body ?? {} },
        statusCodes: ALL_STATUSES,
        isStream: true,
        abortSignal: signal,
      },
      (err, res) => {
        if (err) return reject(err);
        const out = new BoundedOutput(maxBytes);
        let done = false;
        const end = () => {
          if (done) return;
          done = true;
          signal.removeEventListener("abort", onAbort);
          const text = out.buffer().toString("utf8");
          let body: unknown = text;
          if (!out.truncated && text !== "") {
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
          } else if (out.truncated) body = out.text();
          resolve({ status: res.statusCode ?? 0, body: text === "" ? null : body, truncated: out.truncated });
        };
        const onAbort = () => {
          res.destroy();
          if (!done) {
            done = true;
            reject(new Error("aborted"));
          }
        };
        signal.addEventListener("abort", onAbort, { once: true });
        res.on("data", (d: Buffer) => {
          out.push(d);
          if (out.truncated) {
            res.destroy();
            end();
          }
        });
        res.on("end", end);
        res.on("error", (e) => {
          if (!done) {
            done = true;
            reject(e);
          }
        });
      },
    );
  });
}

export function dockerBackend(): Backend {
  return {
    name: "docker",

    validate(target: Target, op: OperationSpec, p: P): string[] {
      const problems: string[] = [];
      if (op.name === "container_create") {
        if (p.image === undefined) problems.push("container_create on a docker target needs an image");
        for (const k of ["template", "vmid", "disk_gb"]) if (p[k] !== undefined) problems.push(`${k} applies to Proxmox targets, not docker`);
      }
      if (op.name === "network_status" && p.interface !== undefined) problems.push("interface applies to host targets; a docker target lists its networks");
      return problems;
    },

    async plan(_ctx, target, op, p, timeoutMs) {
      const o = optionsOf(target, "docker");
      const where = o.socket_path ? `unix://${o.socket_path} (docker ${o.api_version})` : `https://${target.address}:${target.port ?? 2376} (docker ${o.api_version})`;
      return { action: action(target, op, timeoutMs, dockerSteps(op, p), where) };
    },

    async execute(ctx, target, plan: Plan, opts?: RunOptions) {
      let docker: Docker | null = null;
      return runSteps(plan, opts, async (step, index, _remaining, signal) => {
        const t0 = performance.now();
        const base = { step: index, exit_code: null, stdout: "", stderr: "", truncated: false };
        const took = () => Math.round(performance.now() - t0);
        if (step.kind !== "http") return { ...base, ok: false, error: "the docker backend sends API requests only", duration_ms: took() };
        try {
          docker ??= await client(ctx, target);
          const r = await dial(docker, step, signal, ctx.config.outputMaxBytes);
          const ok = (r.status >= 200 && r.status < 300) || r.status === 304;
          return {
            ...base,
            exit_code: ok ? 0 : 1,
            http_status: r.status,
            ...(typeof r.body === "string" ? { stdout: r.body } : { data: r.body }),
            truncated: r.truncated,
            duration_ms: took(),
            ok,
            ...(ok ? {} : { error: `docker answered ${r.status}: ${messageOf(r.body)}` }),
          };
        } catch (e) {
          return { ...base, ok: false, error: signal.aborted ? undefined : `docker request failed: ${errorText(e)}`, duration_ms: took() };
        }
      });
    },

    async test(ctx, target, opts) {
      const t0 = performance.now();
      try {
        const docker = await client(ctx, target);
        const signal = opts?.signal ?? AbortSignal.timeout(ctx.config.connectTimeoutMs);
        const ping = await dial(docker, { kind: "http", method: "GET", path: "/_ping" }, signal, 4096);
        const version = await dial(docker, { kind: "http", method: "GET", path: "/version" }, signal, 65_536);
        const v = (version.body ?? {}) as { Version?: string; ApiVersion?: string; Os?: string };
        const ok = ping.status === 200 && version.status === 200;
        const r: ConnectivityResult = { ok, backend: "docker", target: target.id, latency_ms: Math.round(performance.now() - t0), details: { ping: ping.body, version: v.Version ?? null, api_version: v.ApiVersion ?? null, os: v.Os ?? null } };
        return ok ? r : { ...r, error: `docker answered ${ping.status}/${version.status}` };
      } catch (e) {
        return { ok: false, backend: "docker", target: target.id, latency_ms: Math.round(performance.now() - t0), details: {}, error: errorText(e) };
      }
    },

    async inventory(ctx, target, source, opts) {
      if (source !== "list_containers") throw new Error(`unknown inventory ${source}`);
      const docker = await client(ctx, target);
      const r = await dial(docker, { kind: "http", method: "GET", path: "/containers/json", query: { all: true } }, opts?.signal ?? AbortSignal.timeout(ctx.config.connectTimeoutMs), INVENTORY_MAX_BYTES);
      if (r.truncated) throw new AppError(502, "inventory_failed", `the container list of ${target.id} is larger than ${INVENTORY_MAX_BYTES} bytes`);
      if (r.status !== 200 || !Array.isArray(r.body)) throw new AppError(502, "inventory_failed", `listing containers on ${target.id} failed (HTTP ${r.status})`);
      return (r.body as { Names?: string[] }[]).flatMap((x) => (x.Names ?? []).map((n) => n.replace(/^\//, "")));
    },
  };
}

function messageOf(body: unknown): string {
  if (body && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") return (body as { message: string }).message.slice(0, 500);
  return String(body).slice(0, 500);
}
