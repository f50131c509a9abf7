import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { putTarget, testOps } from "../testing";
import { makeTestPki, type Recorded, type TestPki } from "./test-tls";

/**
 * The proxmox backend against a fake Proxmox VE API over HTTPS (a certificate from a test CA the
 * target pins). The fake asserts the API token header on every request and records the rest.
 */
const TOKEN = "automation@pve!ops=6f1c1e0a-3b1d-4c57-9a0e-0123456789ab";
const UPID = (node: string, type: string, id: string) => `UPID:${node}:0000ABCD:00112233:65000000:${type}:${id}:automation@pve!ops:`;
let pki: TestPki;
let server: https.Server;
let port: number;
const seen: Recorded[] = [];
const polls = new Map<string, number>();
let failTasks = false;
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };

function handler(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (req.headers.authorization !== `PVEAPIToken=${TOKEN}`) return json(401, { data: null, message: "invalid token" });
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const u = new URL(req.url!, "https://pve");
    const p = decodeURIComponent(u.pathname);
    if (p === "/api2/json/version") return json(200, { data: { version: "8.3.2", release: "8.3" } });
    if (p === "/api2/json/cluster/resources")
      return json(200, {
        data: [
          { vmid: 101, name: "web-1", node: "pve1", type: "lxc", status: "running" },
          { vmid: 100, name: "db", node: "pve2", type: "qemu", status: "running" },
          { id: "storage/pve1/local", type: "storage" },
        ],
      });
    const task = /^\/api2\/json\/nodes\/([^/]+)\/tasks\/(UPID:[^/]+)\/(status|log)$/.exec(p);
    if (task) {
      if (task[3] === "log") return json(200, { data: [{ n: 1, t: "starting task" }, { n: 2, t: failTasks ? "TASK ERROR: no space" : "TASK OK" }] });
      const n = (polls.get(task[2]) ?? 0) + 1;
      polls.set(task[2], n);
      return json(200, { data: n < 2 ? { status: "running" } : { status: "stopped", exitstatus: failTasks ? "no space left on device" : "OK" } });
    }
    const m = /^\/api2\/json\/nodes\/([^/]+)\/(lxc|qemu)(?:\/(\d+))?/.exec(p);
    if (m && req.method !== "GET") return json(200, { data: UPID(m[1], "vzop", m[3] ?? "new") });
    if (p === "/api2/json/nodes/pve1/lxc/101/config") return json(200, { data: { hostname: "web-1", memory: 512, cores: 1 } });
    if (p === "/api2/json/nodes/pve2/qemu/100/snapshot") return json(200, { data: [{ name: "current" }, { name: "before-upgrade", snaptime: 1760000000 }] });
    if (p === "/api2/json/nodes/pve1/storage/local/content") return json(200, { data: [{ volid: "local:backup/vzdump-lxc-101-2026_01_01-00_00_00.tar.zst", size: 1234 }] });
    if (p === "/api2/json/nodes/pve1/vzdump" && req.method === "POST") return json(200, { data: UPID("pve1", "vzdump", "101") });
    return json(404, { data: null, errors: { path: `no route ${p}` } });
  });
}

beforeAll(async () => {
  pki = makeTestPki();
  server = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

beforeEach(() => {
  seen.length = 0;
  polls.clear();
  failTasks = false;
});

function setup(opts: { ca?: string | null; token?: string } = {}) {
  const t = testOps({ secretsMap: { "acme/PVE_TOKEN": opts.token ?? TOKEN, "acme/PVE_CA": pki.ca, "acme/OTHER_CA": pki.otherCa } });
  const ready = putTarget(t.targets, "acme", {
    id: "pve",
    name: "cluster",
    backend: "proxmox",
    address: "127.0.0.1",
    port,
    role: "production",
    credential_ref: "PVE_TOKEN",
    options: { node: "pve1", ...(opts.ca === null ? {} : { ca_ref: opts.ca ?? "PVE_CA" }), task_poll_ms: 50 },
  });
  return { ...t, ready };
}

const form = (b: string) => Object.fromEntries(new URLSearchParams(b));
const calls = () => seen.map((r) => ({ method: r.method, url: decodeURIComponent(r.url), ...(r.body ? { body: form(r.body) } : {}) }));

describe("proxmox", () => {
  test("container_start finds the LXC by name, starts it on its node and follows the task to OK", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.container_start", { target_id: "pve", container_name: "web-1" });
    expect(r.outcome).toMatchObject({ status: "succeeded", exit_code: 0 });
    const upid = UPID("pve1", "vzop", "101");
    expect(calls()).toEqual([
      { method: "GET", url: "/api2/json/cluster/resources?type=vm" }, // inventory (allowlist)
      { method: "GET", url: "/api2/json/cluster/resources?type=vm" }, // plan: node and type of the guest
      { method: "POST", url: "/api2/json/nodes/pve1/lxc/101/status/start" },
      { method: "GET", url: `/api2/json/nodes/pve1/tasks/${upid}/status` },
      { method: "GET", url: `/api2/json/nodes/pve1/tasks/${upid}/status` },
      { method: "GET", url: `/api2/json/nodes/pve1/tasks/${upid}/log?limit=100` },
    ]);
    expect(r.outcome!.steps[0]).toMatchObject({ http_status: 200, stdout: "starting task\nTASK OK", data: { upid, exitstatus: "OK" } });
    for (const req of seen) {
      expect(req.headers.authorization).toBe(`PVEAPIToken=${TOKEN}`);
      if (req.method === "POST") expect(req.headers["content-type"]).toBeUndefined();
    }
    // The token is a secret: never in the outcome.
    expect(JSON.stringify(r.outcome)).not.toContain("6f1c1e0a");
  });

  test("snapshot_create on a qemu guest: its node, its type, the RAM state when asked", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.snapshot_create", { target_id: "pve", vmid: 100, snapshot_name: "pre-upgrade", description: "before 8.3", include_ram: true });
    expect(r.outcome).toMatchObject({ status: "succeeded" });
    const post = calls().find((c) => c.method === "POST")!;
    expect(post).toEqual({ method: "POST", url: "/api2/json/nodes/pve2/qemu/100/snapshot", body: { snapname: "pre-upgrade", description: "before 8.3", vmstate: "1" } });
    expect(seen.find((s) => s.method === "POST")!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });

  test("container_create posts the LXC definition to the target's node", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.container_create", { target_id: "pve", container_name: "ct-9", template: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", vmid: 109, memory_mb: 1024, cores: 2, disk_gb: 16 });
    expect(r.outcome).toMatchObject({ status: "succeeded" });
    expect(calls()[0]).toEqual({
      method: "POST",
      url: "/api2/json/nodes/pve1/lxc",
      body: { vmid: "109", hostname: "ct-9", ostemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", rootfs: "local-lvm:16", net0: "name=eth0,bridge=vmbr0,ip=dhcp", unprivileged: "1", memory: "1024", cores: "2", start: "0" },
    });
  });

  test("reads: backup_list, snapshot_list, container_inspect return the API's data", async () => {
    const { ops, ready } = setup();
    await ready;
    const b = await ops.run(caller, "ops.backup_list", { target_id: "pve", storage: "local" });
    expect(b.outcome!.steps[0].data).toEqual([{ volid: "local:backup/vzdump-lxc-101-2026_01_01-00_00_00.tar.zst", size: 1234 }]);
    expect(calls()).toEqual([{ method: "GET", url: "/api2/json/nodes/pve1/storage/local/content?content=backup" }]);
    const s = await ops.run(caller, "ops.snapshot_list", { target_id: "pve", vmid: 100 });
    expect(s.outcome!.steps[0].data).toEqual([{ name: "current" }, { name: "before-upgrade", snaptime: 1760000000 }]);
    const i = await ops.run(caller, "ops.container_inspect", { target_id: "pve", container_name: "web-1" });
    expect(i.outcome!.steps[0].data).toEqual({ hostname: "web-1", memory: 512, cores: 1 });
  });

  test("a task that ends in error is a failed outcome with its exit status and log", async () => {
    failTasks = true;
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.backup_create", { target_id: "pve", vmid: 101, storage: "local" });
    expect(r.outcome).toMatchObject({ status: "failed", exit_code: 1, error: "task ended: no space left on device" });
    expect(r.outcome!.steps[0].stdout).toBe("starting task\nTASK ERROR: no space");
    expect(calls().find((c) => c.method === "POST")).toEqual({ method: "POST", url: "/api2/json/nodes/pve1/vzdump", body: { vmid: "101", storage: "local", mode: "snapshot", compress: "zstd" } });
  });

  test("simulate plans the exact request (reading the guest list) and changes nothing", async () => {
    const { ops, ready } = setup();
    await ready;
    const s = await ops.simulate(caller, { operation: "snapshot_restore", target_id: "pve", parameters: { vmid: 100, snapshot_name: "before-upgrade", start: true } });
    expect(s).toMatchObject({ valid: true, executed: false, dry_run: true });
    expect((s as { action: { steps: unknown[] } }).action.steps).toEqual([{ kind: "http", method: "POST", path: "/nodes/pve2/qemu/100/snapshot/before-upgrade/rollback", body: { start: 1 }, wait_task: true }]);
    expect(seen.every((r) => r.method === "GET")).toBe(true);
  });

  test("an unknown guest is reported, nothing is sent", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.snapshot_delete", { target_id: "pve", vmid: 555, snapshot_name: "x1" });
    expect(r.outcome).toMatchObject({ status: "failed", action: null });
    expect(r.outcome!.error).toMatch(/guest 555 does not exist on target pve/);
    expect(seen.every((x) => x.method === "GET")).toBe(true);
  });

  test("TLS is verified: without the pinned CA, or with another one, nothing is sent", async () => {
    for (const ca of [null, "OTHER_CA"]) {
      const { ops, ready } = setup({ ca });
      await ready;
      const r = await ops.targets.test("acme", "pve");
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/certificate|self[- ]signed|issuer/i);
    }
    expect(seen).toEqual([]);
  });

  test("a refused token is reported as such; a malformed secret never reaches a header", async () => {
    const wrong = setup({ token: "automation@pve!ops=00000000-0000-0000-0000-000000000000" });
    await wrong.ready;
    expect(await wrong.ops.targets.test("acme", "pve")).toMatchObject({ ok: false, error: "proxmox answered 401 (the API token was refused)" });
    const bad = setup({ token: "x\r\nX-Injected: 1" });
    await bad.ready;
    const r = await bad.ops.targets.test("acme", "pve");
    expect(r.error).toBe("secret PVE_TOKEN is not a Proxmox API token (USER@REALM!TOKENID=SECRET)");
    const ok = setup();
    await ok.ready;
    expect(await ok.ops.targets.test("acme", "pve")).toMatchObject({ ok: true, details: { version: "8.3.2", release: "8.3" } });
  });
});
