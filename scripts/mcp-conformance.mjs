#!/usr/bin/env node
// The official MCP conformance suite against CanopyIQ: `canopy gateway` (the production data
// plane) fronting the reference server `@modelcontextprotocol/server-everything`, mounted without
// a name prefix under a policy that allows it, so the suite sees the reference server's tools
// through the gateway's governance. The suite sends no credentials: a loopback helper adds the
// bearer token. Every failing scenario must be in scripts/mcp-conformance-expected-failures.yaml
// (one line of reason each); a scenario that starts passing must leave that list.
//
//   node scripts/mcp-conformance.mjs [--scenario NAME] [--out DIR]
//
// The Inspector CLI then lists and calls a tool through the gateway. The tools are pinned below and run through npx (the npm registry); the suite needs Node 22+,
// which runs from the npm `node` package. Prints the per-scenario results, then one JSON line.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";

const CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16";
const INSPECTOR = "@modelcontextprotocol/inspector@2.12.0";
const EVERYTHING = "@modelcontextprotocol/server-everything@2026.8.31";
const NODE22 = "node@22";
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const expectedFailures = path.join(root, "scripts/mcp-conformance-expected-failures.yaml");

const { values } = parseArgs({ options: { scenario: { type: "string" }, out: { type: "string" } }, strict: true });
const dir = mkdtempSync(path.join(tmpdir(), "canopy-conformance-"));
const out = values.out ?? path.join(dir, "results");
const children = [];

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
}
process.on("exit", cleanup);

// A signing key of our own: the token is minted here, as `canopy mint-token` would sign it.
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" });
const publicPem = publicKey.export({ type: "spki", format: "pem" });
const TENANT = "demo-tenant";

writeFileSync(
  path.join(dir, "policy.yaml"),
  [
    "version: 1",
    "defaults: { decision: deny }",
    "rules:",
    '  - { name: reference-server, match: "*", action: allow, reason: "the conformance suite drives the reference server" }',
    '  - { name: reference-resources, kind: resource, match: "*", action: allow, reason: "the suite reads the reference resources" }',
    '  - { name: reference-prompts, kind: prompt, match: "*", action: allow, reason: "the suite gets the reference prompts" }',
    "",
  ].join("\n"),
);
writeFileSync(
  path.join(dir, "upstreams.yaml"),
  [
    "version: 1",
    "servers:",
    "  - name: everything",
    "    transport: stdio",
    "    command: npx",
    `    args: ["-y", "${EVERYTHING}", "stdio"]`,
    "    prefix: false",
    "    timeout_ms: 60000",
    // The suite's tools-call scenarios call tools the reference server does not have.
    "  - name: fixture",
    "    transport: stdio",
    `    command: ${JSON.stringify(process.execPath)}`,
    `    args: [${JSON.stringify(path.join(root, "scripts/mcp-conformance-fixture.mjs"))}]`,
    `    cwd: ${JSON.stringify(root)}`,
    "    prefix: false",
    "",
  ].join("\n"),
);

function token() {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${b64({ alg: "EdDSA", typ: "JWT" })}.${b64({ tenant: TENANT, roles: ["agent"], iss: "canopyiq", aud: "canopyiq-api", sub: "conformance-suite", jti: randomUUID(), iat: now, exp: now + 3600 })}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

/** `canopy gateway` on a free loopback port, on its own embedded database. */
async function startGateway() {
  const env = { ...process.env, CANOPY_DATA_DIR: path.join(dir, "data"), POLICY_PATH: path.join(dir, "policy.yaml"), UPSTREAMS_PATH: path.join(dir, "upstreams.yaml"), CANOPY_JWT_PRIVATE_KEY: privatePem, CANOPY_JWT_PUBLIC_KEY: publicPem, CANOPY_ADMIN_PASSWORD: "conformance-password-1", CANOPY_DEMO_TENANT: TENANT, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [path.join(root, "cli/canopy.mjs"), "gateway", "--port", "0"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`canopy gateway did not start in 120 s:\n${log}`)), 120_000);
    child.stdout.on("data", (d) => {
      log += d;
      const m = log.match(/on (http:\/\/[\d.:]+)\/mcp/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on("data", (d) => {
      log += d;
      if (process.env.CONFORMANCE_VERBOSE) process.stderr.write(d);
    });
    child.once("exit", (code) => reject(new Error(`canopy gateway exited (${code}):\n${log}`)));
  });
}

/** The loopback helper: everything as sent, plus the bearer token the suite cannot send. */
function startAuthProxy(target, bearer) {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host, authorization: `Bearer ${bearer}` };
    // The DNS-rebinding scenario's Host is part of the test: keep what the suite sent.
    if (req.headers.host && !/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(req.headers.host)) headers.host = req.headers.host;
    const forward = httpRequest({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`gateway unreachable: ${e.message}`);
    });
    req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    children.push(child);
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      text += d;
      process.stderr.write(d);
    });
    child.once("exit", (code) => resolve({ code: code ?? 1, text }));
  });
}

// npm's own npx, run by Node 22 (the suite's engines): `npx -y node@22 <npx-cli.js> -y <suite>`.
const npxCli = realpathSync(execFileSync("which", ["npx"], { encoding: "utf8" }).trim());
// Warm the reference server's download first: its first start must not eat the gateway's connect timeout.
try {
  execFileSync("npx", ["-y", EVERYTHING, "--no-such-transport"], { stdio: "ignore", timeout: 300_000 });
} catch {
  // It prints its usage and exits non-zero: the package is in npx's cache now.
}

const gateway = await startGateway();
const proxy = await startAuthProxy(gateway, token());
const args = ["-y", NODE22, npxCli, "-y", CONFORMANCE, "server", "--url", `${proxy.url}/mcp`, "-o", out, "--expected-failures", expectedFailures];
if (values.scenario) args.push("--scenario", values.scenario);
const result = await run("npx", args, { cwd: dir });

// The Inspector CLI (it can send the token itself) lists and calls through the gateway.
const bearer = token();
const inspector = (...more) => run("npx", ["-y", NODE22, npxCli, "-y", INSPECTOR, "--cli", `${gateway}/mcp`, "--transport", "http", "--header", `Authorization: Bearer ${bearer}`, ...more], { cwd: dir });
const listed = await inspector("--method", "tools/list");
const called = await inspector("--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=through the gateway");
const inspectorOk = listed.code === 0 && listed.text.includes('"echo"') && called.code === 0 && called.text.includes("Echo: through the gateway") && called.text.includes('"decision": "allow"');
if (!inspectorOk) console.error(`the Inspector CLI could not list or call through the gateway (exit ${listed.code}, ${called.code})`);
proxy.server.close();
cleanup();

const lines = result.text.split("\n");
// The whole suite prints one summary line per scenario; one --scenario prints "Passed: a/b, c failed, d warnings".
const single = values.scenario && result.text.match(/Passed: (\d+)\/(\d+), (\d+) failed, (\d+) warnings/);
const scenarios = single
  ? [[null, Number(single[3]) + Number(single[4]) === 0 ? "✓" : "✗", values.scenario]]
  : lines.map((l) => l.match(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/)).filter(Boolean);
const expected = readFileSync(expectedFailures, "utf8").match(/^\s*-\s*(\S+)/gm)?.length ?? 0;
const summary = {
  suite: CONFORMANCE,
  reference_server: EVERYTHING,
  scenarios: scenarios.length,
  passed: scenarios.filter((m) => m[1] === "✓").length,
  failed: scenarios.filter((m) => m[1] === "✗").length,
  expected_failures: expected,
  baseline_ok: result.code === 0,
  inspector: INSPECTOR,
  inspector_list_and_call_ok: inspectorOk,
};
if (!values.out) rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(summary));
process.exit(result.code === 0 && inspectorOk ? 0 : 1);
