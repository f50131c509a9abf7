import { mkdtempSync, rmSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { isAppError } from "@/lib/errors";
import { putTarget, testConfig, testOps } from "../testing";
import { makeTestPki, type Recorded, type TestPki } from "./test-tls";

/**
 * The docker backend against fake Docker Engine APIs: one on a Unix socket (the operator's),
 * one over mutual TLS on loopback. Each asserts the exact requests: method, path with the pinned
 * API version, query, JSON body, and that no credential header is sent.
 */
let dir: string;
let socketPath: string;
let pki: TestPki;
let sockServer: http.Server;
let tlsServer: https.Server;
let tlsPort: number;
const seen: Recorded[] = [];
const caller = { tenant: "acme", subject: "ops-agent", roles: ["agent"] };

const CONTAINERS = [
  { Id: "aaa", Names: ["/web-1"], State: "running" },
  { Id: "bbb", Names: ["/db-1"], State: "exited" },
];

function handler(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    const u = new URL(req.url!, "http://docker");
    const p = u.pathname;
    if (p === "/v1.43/_ping") return void (res.writeHead(200, { "content-type": "text/plain" }), res.end("OK"));
    if (p === "/v1.43/version") return json(200, { Version: "27.3.1", ApiVersion: "1.47", Os: "linux" });
    if (p === "/v1.43/containers/json") return json(200, CONTAINERS);
    if (p === "/v1.43/containers/create") return json(201, { Id: "ccc", Warnings: [] });
    if (p === "/v1.43/containers/web-1/json")
      return json(200, { Id: "aaa", Name: "/web-1", Config: { Env: ["APP_MODE=prod", "DB_PASSWORD=s3cr3t-hunter-99"], Image: "nginx:1.27" }, State: { Running: true } });
    if (p === "/v1.43/containers/db-1/restart") return; // hangs: never answers
    if (/^\/v1\.43\/containers\/[^/]+\/(start|stop|restart)$/.test(p)) return void (res.writeHead(204), res.end());
    if (p === "/v1.43/containers/web-1" && req.method === "DELETE") return void (res.writeHead(204), res.end());
    if (p === "/v1.43/networks") return json(200, [{ Name: "bridge", Driver: "bridge" }]);
    return json(404, { message: `No such container: ${p.split("/")[3] ?? "?"}` });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ops-docker-"));
  socketPath = path.join(dir, "docker.sock");
  pki = makeTestPki();
  sockServer = http.createServer(handler);
  await new Promise<void>((r) => sockServer.listen(socketPath, r));
  tlsServer = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, handler);
  await new Promise<void>((r) => tlsServer.listen(0, "127.0.0.1", r));
  tlsPort = (tlsServer.address() as AddressInfo).port;
});

afterAll(async () => {
  sockServer?.closeAllConnections();
  tlsServer?.closeAllConnections();
  await new Promise((r) => sockServer?.close(r));
  await new Promise((r) => tlsServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
});

function setup(tls: Record<string, string> = { ca_ref: "DOCKER_CA", cert_ref: "DOCKER_CERT", key_ref: "DOCKER_KEY" }) {
  const t = testOps({
    config: testConfig({ gatewayHostTenants: ["acme"], docker: { sockets: [socketPath] } }),
    secretsMap: { "acme/DOCKER_CA": pki.ca, "acme/DOCKER_CERT": pki.clientCert, "acme/DOCKER_KEY": pki.clientKey, "acme/OTHER_CA": pki.otherCa },
  });
  const ready = Promise.all([
    putTarget(t.targets, "acme", { id: "sock", name: "local docker", backend: "docker", role: "development", options: { socket_path: socketPath } }),
    putTarget(t.targets, "acme", { id: "tls", name: "remote docker", backend: "docker", address: "127.0.0.1", port: tlsPort, role: "staging", options: { tls } }),
  ]);
  return { ...t, ready };
}

const requests = () => seen.filter((r) => !r.url.startsWith("/v1.43/containers/json")).map((r) => ({ method: r.method, url: r.url, body: r.body === "" ? null : JSON.parse(r.body) }));

describe.each(["sock", "tls"])("docker over %s", (target) => {
  test("container_create sends one create request with exactly the validated fields, then start", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.container_create", {
      target_id: target,
      container_name: "api-1",
      image: "registry.example.com:5000/team/api:1.2",
      command: ["node", "server.js"],
      env: { MODE: "prod" },
      ports: [{ container_port: 8080, host_port: 18080 }],
      restart_policy: "unless-stopped",
      memory_mb: 256,
      cores: 2,
      start: true,
    });
    expect(r.outcome).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(requests()).toEqual([
      {
        method: "POST",
        url: "/v1.43/containers/create?name=api-1",
        body: {
          Image: "registry.example.com:5000/team/api:1.2",
          Cmd: ["node", "server.js"],
          Env: ["MODE=prod"],
          ExposedPorts: { "8080/tcp": {} },
          HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }] }, RestartPolicy: { Name: "unless-stopped" }, Memory: 268_435_456, NanoCpus: 2e9 },
        },
      },
      { method: "POST", url: "/v1.43/containers/api-1/start", body: null },
    ]);
    expect(r.outcome!.steps.map((s) => s.http_status)).toEqual([201, 204]);
    for (const req of seen) expect(req.headers.authorization).toBeUndefined();
  });

  test("stop, delete and inspect: exact paths and queries; secrets in the answer are redacted", async () => {
    const { ops, ready } = setup();
    await ready;
    await ops.run(caller, "ops.container_stop", { target_id: target, container_name: "web-1", grace_seconds: 30 });
    await ops.run(caller, "ops.container_delete", { target_id: target, container_name: "web-1", force: true });
    const i = await ops.run(caller, "ops.container_inspect", { target_id: target, container_name: "web-1" });
    expect(requests()).toEqual([
      { method: "POST", url: "/v1.43/containers/web-1/stop?t=30", body: null },
      { method: "DELETE", url: "/v1.43/containers/web-1?force=true&v=false", body: null },
      { method: "GET", url: "/v1.43/containers/web-1/json", body: null },
    ]);
    const data = i.outcome!.steps[0].data as { Config: { Env: string[] } };
    expect(data.Config.Env[0]).toBe("APP_MODE=prod");
    expect(data.Config.Env[1]).toMatch(/^DB_PASSWORD=\[redacted:/);
    expect(JSON.stringify(i.outcome)).not.toContain("s3cr3t-hunter-99");
  });

  test("container names are checked against GET /containers/json?all=true", async () => {
    const { ops, ready } = setup();
    await ready;
    const err = await ops.run(caller, "ops.container_start", { target_id: target, container_name: "ghost" }).catch((e) => e);
    expect(err.code).toBe("not_in_inventory");
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /v1.43/containers/json?all=true"]);
  });

  test("a request that never answers is abandoned at the timeout", async () => {
    const { ops, ready } = setup();
    await ready;
    const t0 = Date.now();
    const r = await ops.run(caller, "ops.container_restart", { target_id: target, container_name: "db-1", timeout: 1 });
    expect(r.outcome).toMatchObject({ status: "timed_out" });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  test("test connection pings and reads the version", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.targets.test("acme", target);
    expect(r).toMatchObject({ ok: true, details: { ping: "OK", version: "27.3.1", api_version: "1.47", os: "linux" } });
  });
});

describe("docker TLS", () => {
  test("a server certificate from another CA is refused", async () => {
    const { ops, ready } = setup({ ca_ref: "OTHER_CA", cert_ref: "DOCKER_CERT", key_ref: "DOCKER_KEY" });
    await ready;
    const r = await ops.run(caller, "ops.network_status", { target_id: "tls" });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(r.outcome!.error).toMatch(/certificate/i);
    expect(seen).toEqual([]);
  });

  test("without a client certificate the server refuses the connection", async () => {
    const { ops, ready } = setup({ ca_ref: "DOCKER_CA" });
    await ready;
    const r = await ops.run(caller, "ops.network_status", { target_id: "tls" });
    expect(r.outcome).toMatchObject({ status: "failed" });
    expect(seen).toEqual([]);
  });

  test("plain TCP is refused when the target is saved", async () => {
    const { ops } = setup();
    const err = await ops.targets.create("acme", { id: "plain", name: "p", backend: "docker", address: "10.0.0.9", port: 2375, role: "staging" }, "admin").catch((e) => e);
    expect(err.name).toBe("ZodError");
    expect(JSON.stringify(err.issues)).toMatch(/docker over TCP needs options.tls/);
  });

  test("a socket the operator has not listed is refused", async () => {
    const { ops } = setup();
    const err = await ops.targets.create("acme", { id: "s2", name: "s", backend: "docker", role: "staging", options: { socket_path: "/var/run/docker.sock" } }, "admin").catch((e) => e);
    expect(isAppError(err) && err.status).toBe(403);
    expect(err.message).toMatch(/OPS_DOCKER_SOCKETS/);
  });

  test("the docker answer's status and message are reported on failure", async () => {
    const { ops, ready } = setup();
    await ready;
    const r = await ops.run(caller, "ops.container_inspect", { target_id: "sock", container_name: "db-1" });
    expect(r.outcome).toMatchObject({ status: "failed", exit_code: 1, error: "docker answered 404: No such container: db-1" });
    expect(r.outcome!.steps[0].http_status).toBe(404);
    const net = await ops.run(caller, "ops.network_status", { target_id: "sock" });
    expect(net.outcome!.steps[0].data).toEqual([{ Name: "bridge", Driver: "bridge" }]);
  });
});
