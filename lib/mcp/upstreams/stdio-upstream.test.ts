import { mkdtempSync, readFileSync, realpathSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { ReadResourceResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseUpstreamsConfig, type UpstreamsConfig } from "./config";
import { UnknownToolError, UpstreamTimeoutError, UpstreamUnavailableError } from "./errors";
import { UpstreamRegistry } from "./registry";
import { resolvePackageBin } from "./transport";
import type { UpstreamEvent } from "./connection";

const FS_BIN = resolvePackageBin("@modelcontextprotocol/server-filesystem", undefined, process.cwd());
const noSecrets = () => undefined;
const text = (r: { content: unknown }) => (r.content as { type: string; text: string }[]).map((c) => c.text).join("");

function fsConfig(root: string, extra = ""): UpstreamsConfig {
  return parseUpstreamsConfig(`
servers:
  - name: fs
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FS_BIN)}, ${JSON.stringify(root)}]
    tools:
      write_file: { aliases: [fs.write], facts: { path: path, body: content } }
      read_text_file: { aliases: [fs.read] }
      read_file: { hidden: true }
      list_directory: { timeout_ms: 5000 }
${extra}`);
}

describe("filesystem server upstream (stdio)", () => {
  let root: string;
  let registry: UpstreamRegistry;

  beforeAll(() => {
    // realpath: the server compares against resolved paths (macOS /var → /private/var and the like).
    root = realpathSync(mkdtempSync(path.join(tmpdir(), "canopy-fs-")));
    registry = new UpstreamRegistry(fsConfig(root, `
  - name: secret
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FS_BIN)}, ${JSON.stringify(root)}]
    tenants: [tenant-b]
`), { baseDir: root, resolveSecret: noSecrets, backoff: { initialMs: 50, maxMs: 200 } });
  });
  afterAll(async () => {
    await registry.close();
    rmSync(root, { recursive: true, force: true });
  });

  test("lists tools namespaced, aliased tools only under their aliases, hidden tools not at all", async () => {
    const { tools, errors } = await registry.listTools({ tenant: "tenant-a" });
    expect(errors).toEqual([]);
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["fs.write", "fs.read", "fs.list_directory", "fs.edit_file", "fs.move_file"]));
    expect(names).not.toContain("fs.write_file");
    expect(names).not.toContain("fs.read_text_file");
    expect(names).not.toContain("fs.read_file");
    expect(names.some((n) => n.startsWith("secret."))).toBe(false);
    const write = tools.find((t) => t.name === "fs.write")!;
    expect(write).toMatchObject({ upstream: "fs", upstreamTool: "write_file", facts: { path: "path", body: "content" }, timeoutMs: 30_000 });
    expect(write.inputSchema.properties).toHaveProperty("content");
    expect(tools.find((t) => t.name === "fs.list_directory")!.timeoutMs).toBe(5000);
  });

  test("writes and reads through the aliases", async () => {
    const file = path.join(root, "hello.txt");
    const w = await registry.callTool("fs.write", { path: file, content: "hello from canopy" });
    expect(w.isError).toBeFalsy();
    expect(readFileSync(file, "utf8")).toBe("hello from canopy");
    const r = await registry.callTool("fs.read", { path: file });
    expect(text(r)).toBe("hello from canopy");
  });

  test("the upstream's own refusal comes back as a tool error result", async () => {
    const r = await registry.callTool("fs.read", { path: "/etc/hostname" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Access denied - path outside allowed directories/);
  });

  test.each([
    ["an unknown upstream", "nope.read", undefined, /unknown tool `nope.read`$/],
    ["an unknown tool", "fs.teleport", undefined, /unknown tool `fs.teleport`: upstream fs has no tool teleport/],
    ["the original name of an aliased tool", "fs.write_file", undefined, /unknown tool `fs.write_file`: it is exposed as fs.write/],
    ["a hidden tool", "fs.read_file", undefined, /unknown tool `fs.read_file`$/],
    ["another tenant's upstream", "secret.list_directory", "tenant-a", /unknown tool `secret.list_directory`$/],
    ["no namespace", "write_file", undefined, /unknown tool `write_file`$/],
  ])("refuses %s with UnknownToolError", async (_label, name, tenant, message) => {
    const err = await registry.callTool(name, {}, { tenant }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownToolError);
    expect((err as Error).message).toMatch(message);
  });

  test("the allowed tenant reaches its upstream", async () => {
    const r = await registry.callTool("secret.list_directory", { path: root }, { tenant: "tenant-b" });
    expect(text(r)).toMatch(/\[FILE\] hello\.txt/);
  });

  test("a stalled upstream times out with UpstreamTimeoutError and keeps serving afterwards", async () => {
    await registry.callTool("fs.list_directory", { path: root });
    const pid = registry.status().find((s) => s.name === "fs")!.pid!;
    process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      const err = await registry.callTool("fs.list_directory", { path: root }, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamTimeoutError);
      expect((err as Error).message).toBe("upstream fs did not answer list_directory within 300 ms");
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(text(await registry.callTool("fs.list_directory", { path: root }))).toMatch(/hello\.txt/);
    expect(registry.status().find((s) => s.name === "fs")!.pid).toBe(pid);
  });

  test("a child crashing mid-call gives a clear error, and the next call respawns it", async () => {
    await registry.callTool("fs.list_directory", { path: root });
    const before = registry.status().find((s) => s.name === "fs")!;
    // Stopped, the child cannot answer: the call is in flight for certain when it is killed.
    process.kill(before.pid!, "SIGSTOP");
    const inFlight = registry.callTool("fs.write", { path: path.join(root, "lost.txt"), content: "x" }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(before.pid!, "SIGKILL");
    const err = await inFlight;
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toMatch(/^upstream fs failed during write_file: the process was killed by SIGKILL; the next call restarts it$/);
    expect(existsSync(path.join(root, "lost.txt"))).toBe(false);

    const r = await registry.callTool("fs.read", { path: path.join(root, "hello.txt") });
    expect(text(r)).toBe("hello from canopy");
    const after = registry.status().find((s) => s.name === "fs")!;
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after).toMatchObject({ state: "ready", consecutiveFailures: 0 });
  });

  test("200 concurrent calls share one child", async () => {
    const pid = (await registry.callTool("fs.list_directory", { path: root }), registry.status().find((s) => s.name === "fs")!.pid);
    const results = await Promise.all(Array.from({ length: 200 }, () => registry.callTool("fs.read", { path: path.join(root, "hello.txt") })));
    expect(results.every((r) => text(r) === "hello from canopy")).toBe(true);
    expect(registry.status().find((s) => s.name === "fs")!.pid).toBe(pid);
  });
});

describe("a stdio upstream that crashes on its own", () => {
  test("reports the exit code and its last stderr lines, then is respawned", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "canopy-crash-"));
    const sdk = (p: string) => pathToFileURL(path.resolve("node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href;
    const script = path.join(dir, "crashy.mjs");
    writeFileSync(
      script,
      `import { McpServer } from ${JSON.stringify(sdk("server/mcp.js"))};
import { StdioServerTransport } from ${JSON.stringify(sdk("server/stdio.js"))};
const server = new McpServer({ name: "crashy", version: "1" });
server.registerTool("crash", { description: "dies" }, async () => {
  process.stderr.write("fatal: out of widgets\\n");
  process.exit(7);
});
server.registerTool("ok", { description: "fine" }, async () => ({ content: [{ type: "text", text: "ok" }] }));
await server.connect(new StdioServerTransport());
`,
    );
    const events: UpstreamEvent[] = [];
    const registry = new UpstreamRegistry(
      parseUpstreamsConfig(`servers:\n  - { name: crashy, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}] }\n`),
      { baseDir: dir, resolveSecret: noSecrets, onEvent: (e) => events.push(e) },
    );
    try {
      const err = await registry.callTool("crashy.crash", {}, { traceId: "trace-1" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamUnavailableError);
      // The caller gets the category; stderr (which may name host paths or data) goes to the log only.
      expect((err as Error).message).toBe("upstream crashy failed during crash: the process exited with code 7; the next call restarts it");
      expect(events.find((e) => e.type === "closed")?.detail).toBe("the process exited with code 7; stderr: fatal: out of widgets");
      expect(events.find((e) => e.type === "call_failed")).toMatchObject({ upstream: "crashy", traceId: "trace-1" });
      expect(text(await registry.callTool("crashy.ok", {}))).toBe("ok");
      expect(registry.status()[0]).toMatchObject({ restarts: 1, consecutiveFailures: 0, lastError: null });
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an upstream that cannot start", () => {
  test("fails with UpstreamUnavailableError, then backs off without spawning on every call", async () => {
    let now = 1_000_000;
    const events: UpstreamEvent[] = [];
    const registry = new UpstreamRegistry(
      parseUpstreamsConfig(`servers:\n  - { name: broken, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: ["-e", "process.stderr.write('boom: missing config /etc/canopy/secret.yaml\\\\n'); process.exit(3)"] }\n`),
      { baseDir: process.cwd(), resolveSecret: noSecrets, backoff: { initialMs: 1_000, maxMs: 8_000 }, now: () => now, connectTimeoutMs: 5_000, onEvent: (e) => events.push(e) },
    );
    try {
      const first = await registry.callTool("broken.anything", {}).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(UpstreamUnavailableError);
      expect((first as Error).message).toBe("upstream broken is unavailable: failed to start: the process exited with code 3");
      expect(registry.status()[0].lastError).toBe("failed to start: the process exited with code 3");
      expect(events[0]).toMatchObject({ type: "connect_failed", upstream: "broken", detail: expect.stringContaining("stderr: boom: missing config /etc/canopy/secret.yaml") });
      // The first retry is immediate; after the second failure the next attempt waits 1 s.
      const second = await registry.callTool("broken.anything", {}).catch((e: unknown) => e);
      expect((second as UpstreamUnavailableError).retryAt).toBe(now + 1_000);
      const third = await registry.callTool("broken.anything", {}).catch((e: unknown) => e);
      expect((third as Error).message).toMatch(/next reconnect attempt in 1000 ms$/);
      expect(registry.status()[0]).toMatchObject({ state: "backoff", consecutiveFailures: 2 });
      now += 1_000;
      await registry.callTool("broken.anything", {}).catch(() => {});
      expect(registry.status()[0]).toMatchObject({ consecutiveFailures: 3, retryAt: new Date(now + 2_000).toISOString() });
    } finally {
      await registry.close();
    }
  });

  test("an unset header secret is reported without connecting", async () => {
    const registry = new UpstreamRegistry(
      parseUpstreamsConfig(`servers:\n  - name: api\n    transport: http\n    url: http://127.0.0.1:9/mcp\n    headers: { Authorization: "Bearer \${API_TOKEN}" }\n`),
      { baseDir: process.cwd(), resolveSecret: noSecrets },
    );
    const { tools, errors } = await registry.listTools();
    expect(tools).toEqual([]);
    expect(errors).toEqual([{ upstream: "api", message: "upstream api is unavailable: cannot start: upstream api headers.Authorization references ${API_TOKEN}, which is not set" }]);
    await registry.close();
  });
});

describe("the shipped upstreams.yaml", () => {
  test("starts the installed filesystem server in the tenant's own jail .data/sandbox/<tenant> and serves fs.write / fs.read on /sandbox", async () => {
    const registry = UpstreamRegistry.fromFile("upstreams.yaml", { resolveSecret: noSecrets });
    const tenant = `shipped-${randomUUID().slice(0, 8)}`;
    const name = `canopy-test-${randomUUID()}.txt`;
    try {
      expect(registry.factMaps()).toMatchObject({ "fs.write": { path: "path", body: "content" }, "fs.move": { path: ["source", "destination"] } });
      const w = await registry.callTool("fs.write", { path: `/sandbox/tmp/${name}`, content: "sandboxed" }, { tenant });
      expect(text(w)).toBe(`Successfully wrote to /sandbox/tmp/${name}`);
      expect(readFileSync(path.resolve(".data/sandbox", tenant, "tmp", name), "utf8")).toBe("sandboxed");
      expect(text(await registry.callTool("fs.read", { path: `/sandbox/tmp/${name}` }, { tenant }))).toBe("sandboxed");
    } finally {
      await registry.close();
      rmSync(path.resolve(".data/sandbox", tenant), { recursive: true, force: true });
    }
  });
});

describe("per-tenant filesystem jails (per_tenant: true)", () => {
  let base: string;
  let registry: UpstreamRegistry;
  const run = randomUUID().slice(0, 8);
  const A = `jail-a-${run}`;
  const B = `jail-b-${run}`;
  const jail = (t: string) => path.join(base, "jails", t);

  const jailConfig = (max: number) =>
    parseUpstreamsConfig(`
servers:
  - name: fs
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    per_tenant: true
    max_processes: ${max}
    args: [${JSON.stringify(FS_BIN)}, "jails/\${TENANT}"]
    create_dirs: ["jails/\${TENANT}/tmp"]
    path_map: { /sandbox: "jails/\${TENANT}" }
    tools:
      write_file: { aliases: [fs.write], facts: { path: path, body: content } }
      read_text_file: { aliases: [fs.read] }
      list_allowed_directories: { aliases: [fs.roots] }
`);

  beforeAll(() => {
    base = realpathSync(mkdtempSync(path.join(tmpdir(), "canopy-jails-")));
    registry = new UpstreamRegistry(jailConfig(4), { baseDir: base, resolveSecret: noSecrets, backoff: { initialMs: 20, maxMs: 100 } });
  });
  afterAll(async () => {
    await registry.close();
    rmSync(base, { recursive: true, force: true });
  });

  const call = (tenant: string, tool: string, args: Record<string, unknown>) => registry.callTool(tool, args, { tenant });

  test("each tenant's /sandbox is its own folder, served by its own process", async () => {
    expect(text(await call(A, "fs.write", { path: "/sandbox/tmp/secret.txt", content: "A's secret" }))).toBe("Successfully wrote to /sandbox/tmp/secret.txt");
    expect(readFileSync(path.join(jail(A), "tmp/secret.txt"), "utf8")).toBe("A's secret");

    // B's /sandbox/tmp/secret.txt is B's: not found, and the answer names /sandbox, not the host path.
    const read = await call(B, "fs.read", { path: "/sandbox/tmp/secret.txt" });
    expect(read.isError).toBe(true);
    expect(text(read)).toMatch(/ENOENT: no such file or directory, open '\/sandbox\/tmp\/secret\.txt'/);
    expect(text(read)).not.toContain(base);

    // B writes the same path: its own file; A's is unchanged.
    await call(B, "fs.write", { path: "/sandbox/tmp/secret.txt", content: "B was here" });
    expect(readFileSync(path.join(jail(A), "tmp/secret.txt"), "utf8")).toBe("A's secret");
    expect(readFileSync(path.join(jail(B), "tmp/secret.txt"), "utf8")).toBe("B was here");
    expect(text(await call(A, "fs.read", { path: "/sandbox/tmp/secret.txt" }))).toBe("A's secret");

    // The allowed folder each server reports is /sandbox for both.
    expect(text(await call(A, "fs.roots", {}))).toMatch(/\/sandbox$/);
    const [pa, pb] = [registry.status({ tenant: A })[0], registry.status({ tenant: B })[0]];
    expect(pa.pid).toBeGreaterThan(0);
    expect(pb.pid).toBeGreaterThan(0);
    expect(pa.pid).not.toBe(pb.pid);
  });

  test.each([
    ["virtual traversal", () => `/sandbox/../${A}/tmp/secret.txt`],
    ["deeper virtual traversal", () => `/sandbox/tmp/../../${A}/tmp/secret.txt`],
    ["relative traversal", () => `../${A}/tmp/secret.txt`],
    ["the host path of A's file", () => path.join(jail(A), "tmp/secret.txt")],
  ])("B cannot reach A's file by %s", async (_label, target) => {
    const r = await call(B, "fs.read", { path: target() });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/Access denied|ENOENT/);
    expect(text(r)).not.toContain("A's secret");
    // The answer never names B's real folder (nor A's, unless B wrote it itself).
    expect(text(r)).not.toContain(jail(B));
    const w = await call(B, "fs.write", { path: target(), content: "overwritten by B" });
    expect(w.isError).toBe(true);
    expect(readFileSync(path.join(jail(A), "tmp/secret.txt"), "utf8")).toBe("A's secret");
  });

  test("a call without a tenant is refused for a per-tenant server", async () => {
    const err = await registry.callTool("fs.read", { path: "/sandbox/tmp/secret.txt" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toMatch(/runs one process per tenant, and this call names no tenant/);
  });

  test("at most max_processes run: the least recently used idle one is stopped, and restarts on its tenant's next call", async () => {
    const small = new UpstreamRegistry(jailConfig(2), { baseDir: base, resolveSecret: noSecrets });
    const C = `jail-c-${run}`;
    try {
      await small.callTool("fs.roots", {}, { tenant: A });
      await small.callTool("fs.roots", {}, { tenant: B });
      const pidA = small.status({ tenant: A })[0].pid!;
      await small.callTool("fs.roots", {}, { tenant: C });
      expect(small.tenantProcesses("fs")).toEqual([B, C]);
      await expect.poll(() => isAlive(pidA), { timeout: 15_000 }).toBe(false);
      expect(small.status({ tenant: A })[0]).toMatchObject({ state: "idle", pid: null });
      // A is back (B, least recently used, makes room), with its files intact.
      expect(text(await small.callTool("fs.read", { path: "/sandbox/tmp/secret.txt" }, { tenant: A }))).toBe("A's secret");
      expect(small.tenantProcesses("fs")).toEqual([C, A]);
    } finally {
      await small.close();
    }
  });

  test("a busy process is never stopped to make room: the newcomer is told to retry", async () => {
    const one = new UpstreamRegistry(jailConfig(1), { baseDir: base, resolveSecret: noSecrets });
    try {
      await one.callTool("fs.roots", {}, { tenant: A });
      const pid = one.status({ tenant: A })[0].pid!;
      process.kill(pid, "SIGSTOP");
      try {
        const inFlight = one.callTool("fs.roots", {}, { tenant: A, timeoutMs: 2_000 }).catch((e: unknown) => e);
        await new Promise((r) => setTimeout(r, 50));
        const err = await one.callTool("fs.roots", {}, { tenant: B }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UpstreamUnavailableError);
        expect((err as Error).message).toBe("upstream fs is at its limit of 1 tenant processes, all busy; retry shortly");
        process.kill(pid, "SIGCONT");
        expect(text((await inFlight) as { content: unknown })).toMatch(/\/sandbox/);
      } finally {
        process.kill(pid, "SIGCONT");
      }
      expect(one.tenantProcesses("fs")).toEqual([A]);
    } finally {
      await one.close();
    }
  });

  test("a crash is reported by category only; no host path reaches the caller", async () => {
    const events: UpstreamEvent[] = [];
    const r = new UpstreamRegistry(jailConfig(2), { baseDir: base, resolveSecret: noSecrets, onEvent: (e) => events.push(e) });
    try {
      await r.callTool("fs.roots", {}, { tenant: A });
      const pid = r.status({ tenant: A })[0].pid!;
      process.kill(pid, "SIGSTOP");
      const inFlight = r.callTool("fs.write", { path: "/sandbox/tmp/x.txt", content: "x" }, { tenant: A, traceId: "t-crash" }).catch((e: unknown) => e);
      await new Promise((res) => setTimeout(res, 100));
      process.kill(pid, "SIGKILL");
      const err = (await inFlight) as Error;
      expect(err.message).toBe("upstream fs failed during write_file: the process was killed by SIGKILL; the next call restarts it");
      expect(err.message).not.toContain(base);
      expect(events.find((e) => e.type === "call_failed")).toMatchObject({ upstream: "fs", tenant: A, traceId: "t-crash" });
    } finally {
      await r.close();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a local upstream's resources and prompts", () => {
  test("listings and answers show host paths under their virtual names (path_map) and hide the rest", async () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "canopy-res-")));
    const sdk = (p: string) => pathToFileURL(path.resolve("node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href;
    const data = path.join(dir, "data");
    const script = path.join(dir, "docs.mjs");
    writeFileSync(
      script,
      `import { McpServer } from ${JSON.stringify(sdk("server/mcp.js"))};
import { StdioServerTransport } from ${JSON.stringify(sdk("server/stdio.js"))};
const server = new McpServer({ name: "docs", version: "1" });
const uri = ${JSON.stringify(`file://${data}/a.txt`)};
server.registerResource("a", uri, { description: "kept in " + ${JSON.stringify(path.join(dir, "private"))} }, async () => ({ contents: [{ uri, text: "read from " + ${JSON.stringify(data)} }] }));
await server.connect(new StdioServerTransport());
`,
    );
    const registry = new UpstreamRegistry(
      parseUpstreamsConfig(`servers:\n  - { name: docs, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(script)}], path_map: { /sandbox: ${JSON.stringify(data)} } }\n`),
      { baseDir: dir, resolveSecret: noSecrets },
    );
    try {
      const listing = await registry.catalog.list("resources", "t1");
      const shown = JSON.stringify(listing.items);
      expect(listing.items.map((i) => i.exposed.uri)).toEqual(["docs.file:///sandbox/a.txt"]);
      expect(shown).not.toContain(dir);
      const route = await registry.catalog.routeResource("docs.file:///x", "t1");
      const answer = await route!.handle.request("resources/read", { uri: `file://${data}/a.txt` }, ReadResourceResultSchema, { what: "read" });
      expect(JSON.stringify(answer)).not.toContain(dir);
      expect(answer.contents[0]).toMatchObject({ uri: "file:///sandbox/a.txt", text: "read from /sandbox" });
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
