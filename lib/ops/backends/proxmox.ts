/**
 * The proxmox backend: the Proxmox VE REST API (/api2/json) with an API token
 * (`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`, a referenced secret) over HTTPS with
 * certificate verification always on; a cluster with its own CA pins it (options.ca_ref, PEM).
 * Guests are found by the cluster's resource list (containers by name, snapshots and backups by
 * vmid), so the plan names the exact node and guest type. Asynchronous operations answer with a
 * task id (UPID); the backend follows the task to its end within the action's deadline.
 */
import { Agent, request } from "undici";
import { AppError } from "@/lib/errors";
import type { OperationSpec } from "../catalog";
import { guardedLookup } from "../net";
import { BoundedOutput } from "../output";
import { optionsOf, type ProxmoxOptions } from "../targets";
import type { ActionStep, ConnectivityResult, Plan, Target } from "../types";
import { action } from "./host-plan";
import { errorText, runSteps } from "./steps";
import type { Backend, BackendContext, RunOptions } from "./types";

type P = Record<string, unknown>;
type HttpStep = Extract<ActionStep, { kind: "http" }>;

export interface PveGuest {
  vmid: number;
  name?: string;
  node: string;
  type: "qemu" | "lxc";
  status?: string;
}

/** USER@REALM!TOKENID=SECRET; checked so a malformed secret fails clearly (and never reaches a header). */
export const PVE_TOKEN_RE = /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z0-9._-]+=[A-Za-z0-9-]{8,128}$/;
export const UPID_RE = /^UPID:([a-zA-Z0-9-]+):[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[a-z0-9_-]+:[^:\s]*:[^:\s]+:$/;
const INVENTORY_MAX_BYTES = 4 * 1024 * 1024;

const enc = encodeURIComponent;

/** Node and type of a guest by vmid, or the single LXC with a name. */
export function findGuest(guests: readonly PveGuest[], by: { vmid: number } | { lxcName: string }, targetId: string): PveGuest {
  const found = "vmid" in by ? guests.filter((g) => g.vmid === by.vmid) : guests.filter((g) => g.type === "lxc" && g.name === by.lxcName);
  const what = "vmid" in by ? `guest ${by.vmid}` : `LXC container ${by.lxcName}`;
  if (found.length === 0) throw new AppError(404, "guest_not_found", `${what} does not exist on target ${targetId}`);
  if (found.length > 1) throw new AppError(409, "guest_ambiguous", `${what} names ${found.length} guests on target ${targetId}; use their vmids`);
  return found[0];
}

/** The API requests of an operation, with the guest already located (pure). */
export function proxmoxSteps(op: OperationSpec, p: P, o: ProxmoxOptions, guest: PveGuest | null): HttpStep[] {
  const g = () => {
    if (!guest) throw new Error(`${op.name} needs its guest`);
    return `/nodes/${enc(guest.node)}/${guest.type}/${guest.vmid}`;
  };
  const node = `/nodes/${enc(o.node)}`;
  const flag = (b: unknown) => (b === true ? 1 : 0);
  switch (op.name) {
    case "container_create":
      return [
        {
          kind: "http",
          method: "POST",
          path: `${node}/lxc`,
          body: {
            vmid: p.vmid,
            hostname: p.container_name,
            ostemplate: p.template,
            rootfs: `${o.rootfs_storage}:${(p.disk_gb as number | undefined) ?? 8}`,
            net0: `name=eth0,bridge=${o.bridge},ip=dhcp`,
            unprivileged: 1,
            ...(p.memory_mb !== undefined ? { memory: p.memory_mb } : {}),
            ...(p.cores !== undefined ? { cores: p.cores } : {}),
            start: flag(p.start),
          },
          wait_task: true,
        },
      ];
    case "container_delete":
      return [{ kind: "http", method: "DELETE", path: g(), query: { ...(p.force ? { force: 1 } : {}), ...(p.remove_volumes ? { "destroy-unreferenced-disks": 1 } : {}) }, wait_task: true }];
    case "container_start":
      return [{ kind: "http", method: "POST", path: `${g()}/status/start`, wait_task: true }];
    case "container_stop":
      return [{ kind: "http", method: "POST", path: `${g()}/status/shutdown`, body: { timeout: p.grace_seconds, forceStop: 1 }, wait_task: true }];
    case "container_restart":
      return [{ kind: "http", method: "POST", path: `${g()}/status/reboot`, body: { timeout: p.grace_seconds }, wait_task: true }];
    case "container_inspect":
      return [{ kind: "http", method: "GET", path: `${g()}/config` }];
    case "backup_create":
      return [
        {
          kind: "http",
          method: "POST",
          path: `/nodes/${enc(guest!.node)}/vzdump`,
          body: { vmid: p.vmid, storage: p.storage, mode: p.mode, compress: p.compress, ...(p.notes !== undefined ? { "notes-template": p.notes } : {}) },
          wait_task: true,
        },
      ];
    case "backup_restore": {
      const volid = p.backup_id as string;
      const type = backupType(volid)!;
      return [
        {
          kind: "http",
          method: "POST",
          path: `${node}/${type}`,
          body: type === "lxc" ? { vmid: p.vmid, ostemplate: volid, restore: 1, force: flag(p.force) } : { vmid: p.vmid, archive: volid, force: flag(p.force) },
          wait_task: true,
        },
      ];
    }
    case "backup_list":
      return [{ kind: "http", method: "GET", path: `${node}/storage/${enc(p.storage as string)}/content`, query: { content: "backup", ...(p.vmid !== undefined ? { vmid: p.vmid as number } : {}) } }];
    case "backup_delete": {
      const volid = p.backup_id as string;
      return [{ kind: "http", method: "DELETE", path: `${node}/storage/${enc(volid.split(":")[0])}/content/${enc(volid)}`, wait_task: true }];
    }
    case "snapshot_create":
      return [
        {
          kind: "http",
          method: "POST",
          path: `${g()}/snapshot`,
          body: { snapname: p.snapshot_name, ...(p.description !== undefined ? { description: p.description } : {}), ...(guest!.type === "qemu" && p.include_ram ? { vmstate: 1 } : {}) },
          wait_task: true,
        },
      ];
    case "snapshot_delete":
      return [{ kind: "http", method: "DELETE", path: `${g()}/snapshot/${enc(p.snapshot_name as string)}`, wait_task: true }];
    case "snapshot_restore":
      return [{ kind: "http", method: "POST", path: `${g()}/snapshot/${enc(p.snapshot_name as string)}/rollback`, body: { start: flag(p.start) }, wait_task: true }];
    case "snapshot_list":
      return [{ kind: "http", method: "GET", path: `${g()}/snapshot` }];
    case "network_status":
      return [{ kind: "http", method: "GET", path: `${node}/network` }];
    default:
      throw new Error(`the proxmox backend does not run ${op.name}`);
  }
}

/** lxc or qemu, from a vzdump archive name. */
export function backupType(volid: string): "lxc" | "qemu" | null {
  const m = /\/vzdump-(lxc|qemu)-\d+-/.exec(volid);
  return m ? (m[1] as "lxc" | "qemu") : null;
}

/** Which guest an operation needs located first (none for node-level operations). */
function guestQuery(op: OperationSpec, p: P): { vmid: number } | { lxcName: string } | null {
  if (op.category === "container" && op.name !== "container_create") return { lxcName: p.container_name as string };
  if (op.category === "snapshot" || op.name === "backup_create") return { vmid: p.vmid as number };
  return null;
}

class Pve {
  private agent: Agent | null = null;
  constructor(
    private readonly ctx: BackendContext,
    private readonly target: Target,
  ) {}

  private async dispatcher(): Promise<Agent> {
    if (this.agent) return this.agent;
    const o = optionsOf(this.target, "proxmox");
    const ca = o.ca_ref ? await this.ctx.secret(o.ca_ref) : undefined;
    this.agent = new Agent({
      connect: { ...(ca ? { ca } : {}), rejectUnauthorized: true, lookup: guardedLookup(this.ctx.config.allowLoopbackTargets), timeout: this.ctx.config.connectTimeoutMs },
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return this.agent;
  }

  private async token(): Promise<string> {
    const ref = this.target.credentialRef;
    if (!ref) throw new AppError(400, "missing_credential", `target ${this.target.id} has no credential_ref`);
    const t = await this.ctx.secret(ref);
    if (!PVE_TOKEN_RE.test(t)) throw new AppError(400, "bad_credential", `secret ${ref} is not a Proxmox API token (USER@REALM!TOKENID=SECRET)`);
    return t;
  }

  url(path: string, query?: HttpStep["query"]): URL {
    const host = this.target.address!.includes(":") ? `[${this.target.address}]` : this.target.address!;
    const u = new URL(`https://${host}:${this.target.port ?? 8006}/api2/json${path}`);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, String(v));
    return u;
  }

  /** One request; the `data` of the answer (PVE wraps everything in {data}), bounded. */
  async send(step: Pick<HttpStep, "method" | "path" | "query" | "body">, signal: AbortSignal, maxBytes: number): Promise<{ status: number; data: unknown; errors?: unknown; text: string; truncated: boolean }> {
    const body = step.body ? new URLSearchParams(Object.entries(step.body).map(([k, v]) => [k, String(v)])).toString() : undefined;
    const res = await request(this.url(step.path, step.query), {
      method: step.method,
      headers: { authorization: `PVEAPIToken=${await this.token()}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      ...(body !== undefined ? { body } : {}),
      dispatcher: await this.dispatcher(),
      signal,
    });
    const out = new BoundedOutput(maxBytes);
    for await (const chunk of res.body) {
      out.push(chunk as Buffer);
      if (out.truncated) {
        res.body.destroy();
        break;
      }
    }
    const text = out.buffer().toString("utf8");
    if (out.truncated) return { status: res.statusCode, data: undefined, text: out.text(), truncated: true };
    try {
      const json = JSON.parse(text) as { data?: unknown; errors?: unknown; message?: unknown };
      return { status: res.statusCode, data: json.data ?? null, errors: json.errors ?? json.message, text: "", truncated: false };
    } catch {
      return { status: res.statusCode, data: undefined, text, truncated: false };
    }
  }

  async guests(signal: AbortSignal): Promise<PveGuest[]> {
    const r = await this.send({ method: "GET", path: "/cluster/resources", query: { type: "vm" } }, signal, INVENTORY_MAX_BYTES);
    if (r.status !== 200 || !Array.isArray(r.data)) throw new AppError(502, "proxmox_failed", `listing guests on ${this.target.id} failed (HTTP ${r.status}${r.truncated ? ", answer too large" : ""})`);
    return (r.data as Record<string, unknown>[])
      .filter((g) => (g.type === "lxc" || g.type === "qemu") && typeof g.vmid === "number" && typeof g.node === "string")
      .map((g) => ({ vmid: g.vmid as number, node: g.node as string, type: g.type as "lxc" | "qemu", ...(typeof g.name === "string" ? { name: g.name } : {}), ...(typeof g.status === "string" ? { status: g.status } : {}) }));
  }

  /** Follows a task until it stops (or the signal fires): its exit status and the end of its log. */
  async waitTask(upid: string, signal: AbortSignal, pollMs: number, maxBytes: number): Promise<{ ok: boolean; exitstatus: string; log: string }> {
    const m = UPID_RE.exec(upid);
    if (!m) throw new AppError(502, "proxmox_failed", `the API answered a task id that is not a UPID`);
    const base = `/nodes/${enc(m[1])}/tasks/${enc(upid)}`;
    for (;;) {
      const r = await this.send({ method: "GET", path: `${base}/status` }, signal, 65_536);
      const d = (r.data ?? {}) as { status?: string; exitstatus?: string };
      if (r.status === 200 && d.status === "stopped") {
        const log = await this.send({ method: "GET", path: `${base}/log`, query: { limit: 100 } }, signal, maxBytes);
        const lines = Array.isArray(log.data) ? (log.data as { t?: string }[]).map((l) => l.t ?? "").join("\n") : log.text;
        return { ok: d.exitstatus === "OK", exitstatus: d.exitstatus ?? "unknown", log: lines };
      }
      if (r.status !== 200) throw new AppError(502, "proxmox_failed", `task status answered HTTP ${r.status}`);
      await new Promise<void>((res, rej) => {
        const t = setTimeout(res, pollMs);
        signal.addEventListener("abort", () => (clearTimeout(t), rej(new Error("aborted"))), { once: true });
      });
    }
  }

  close() {
    void this.agent?.close();
  }
}

const errorsText = (e: unknown) => (e === undefined || e === null ? "" : typeof e === "string" ? e : JSON.stringify(e)).slice(0, 500);

export function proxmoxBackend(): Backend {
  return {
    name: "proxmox",

    validate(target: Target, op: OperationSpec, p: P): string[] {
      const problems: string[] = [];
      if (op.name === "container_create") {
        if (p.template === undefined) problems.push("container_create on a proxmox target needs a template (an LXC template volume)");
        if (p.vmid === undefined) problems.push("container_create on a proxmox target needs the vmid of the new container");
        for (const k of ["image", "command", "env", "ports"]) if (p[k] !== undefined) problems.push(`${k} applies to docker containers, not Proxmox LXC`);
      }
      if (op.name === "backup_restore" && backupType(p.backup_id as string) === null) problems.push("backup_id must name a vzdump archive (vzdump-lxc-… or vzdump-qemu-…)");
      if (op.name === "network_status" && p.interface !== undefined) problems.push("interface applies to host targets; a proxmox target lists its node's network");
      return problems;
    },

    async plan(ctx, target, op, p, timeoutMs, opts?: RunOptions) {
      const o = optionsOf(target, "proxmox");
      const q = guestQuery(op, p);
      let guest: PveGuest | null = null;
      if (q) {
        const pve = new Pve(ctx, target);
        try {
          guest = findGuest(await pve.guests(opts?.signal ?? AbortSignal.timeout(ctx.config.connectTimeoutMs)), q, target.id);
        } finally {
          pve.close();
        }
      }
      const where = `https://${target.address}:${target.port ?? 8006}/api2/json (proxmox node ${guest?.node ?? o.node})`;
      return { action: action(target, op, timeoutMs, proxmoxSteps(op, p, o, guest), where) };
    },

    async execute(ctx, target, plan: Plan, opts?: RunOptions) {
      const o = optionsOf(target, "proxmox");
      const pve = new Pve(ctx, target);
      try {
        return await runSteps(plan, opts, async (step, index, _remaining, signal) => {
          const t0 = performance.now();
          const base = { step: index, exit_code: null, stdout: "", stderr: "", truncated: false };
          const took = () => Math.round(performance.now() - t0);
          if (step.kind !== "http") return { ...base, ok: false, error: "the proxmox backend sends API requests only", duration_ms: took() };
          try {
            const r = await pve.send(step, signal, ctx.config.outputMaxBytes);
            const ok = r.status >= 200 && r.status < 300;
            if (!ok) return { ...base, exit_code: 1, http_status: r.status, stdout: r.text, duration_ms: took(), ok: false, error: `proxmox answered ${r.status}${r.errors ? `: ${errorsText(r.errors)}` : ""}` };
            if (step.wait_task && typeof r.data === "string" && r.data.startsWith("UPID:")) {
              const task = await pve.waitTask(r.data, signal, o.task_poll_ms, ctx.config.outputMaxBytes);
              return { ...base, exit_code: task.ok ? 0 : 1, http_status: r.status, stdout: task.log, data: { upid: r.data, exitstatus: task.exitstatus }, duration_ms: took(), ok: task.ok, ...(task.ok ? {} : { error: `task ended: ${task.exitstatus}` }) };
            }
            return { ...base, exit_code: 0, http_status: r.status, ...(r.truncated ? { stdout: r.text } : { data: r.data }), truncated: r.truncated, duration_ms: took(), ok: true };
          } catch (e) {
            return { ...base, ok: false, error: signal.aborted ? undefined : `proxmox request failed: ${errorText(e)}`, duration_ms: took() };
          }
        });
      } finally {
        pve.close();
      }
    },

    async test(ctx, target, opts) {
      const t0 = performance.now();
      const pve = new Pve(ctx, target);
      try {
        const r = await pve.send({ method: "GET", path: "/version" }, opts?.signal ?? AbortSignal.timeout(ctx.config.connectTimeoutMs), 65_536);
        const d = (r.data ?? {}) as { version?: string; release?: string };
        const res: ConnectivityResult = { ok: r.status === 200, backend: "proxmox", target: target.id, latency_ms: Math.round(performance.now() - t0), details: { http_status: r.status, version: d.version ?? null, release: d.release ?? null } };
        return res.ok ? res : { ...res, error: `proxmox answered ${r.status}${r.status === 401 ? " (the API token was refused)" : ""}` };
      } catch (e) {
        return { ok: false, backend: "proxmox", target: target.id, latency_ms: Math.round(performance.now() - t0), details: {}, error: errorText(e) };
      } finally {
        pve.close();
      }
    },

    async inventory(ctx, target, source, opts) {
      if (source !== "list_containers") throw new Error(`unknown inventory ${source}`);
      const pve = new Pve(ctx, target);
      try {
        const guests = await pve.guests(opts?.signal ?? AbortSignal.timeout(ctx.config.connectTimeoutMs));
        return guests.filter((g) => g.type === "lxc" && g.name).map((g) => g.name!);
      } finally {
        pve.close();
      }
    },
  };
}
