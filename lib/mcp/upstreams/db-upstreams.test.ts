import { randomBytes, randomUUID } from "node:crypto";
import { env, resetEnvForTests } from "@/lib/env";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth";
import { createTestDb } from "@/lib/db/testing";
import { upstreamNetwork } from "./default-registry";
import { getUpstreamRow, listUpstreamRows, putUpstreamRow, type UpstreamRow } from "@/lib/db/upstreams";
import { toErrorEnvelope } from "@/lib/errors";
import type { AuditInput } from "@/lib/audit";
import { deleteUpstream, listUpstreams, putUpstream, type UpstreamAdminDeps } from "./admin";
import type { UpstreamView } from "./admin-schemas";
import { parseUpstreamsConfig } from "./config";
import { UnknownToolError, UpstreamUnavailableError } from "./errors";
import { UpstreamRegistry } from "./registry";
import { startTestUpstream, type TestUpstream } from "./test-server";

// This file's own database (real Postgres with DATABASE_URL, else in-memory PGlite).
const testDb = createTestDb();
const getDb = () => testDb;

/**
 * Admin-managed (database) upstreams end to end: the admin lib writes upstream_servers, the
 * registry merges them with upstreams.yaml per tenant, and real MCP servers over Streamable
 * HTTP answer. Tenants are unique per run, so DATABASE_URL's shared database works too.
 */

const run = randomBytes(4).toString("hex");
const A = `up-a-${run}`;
const B = `up-b-${run}`;
const adminA: Principal = { kind: "token", tenant: A, subject: "admin-a", roles: ["admin"] };
const adminB: Principal = { kind: "token", tenant: B, subject: "admin-b", roles: ["admin"] };
const RELOAD_MS = 400;

const secrets: Record<string, string> = { UPSTREAM_TOKEN_A: "token-a", UPSTREAM_TOKEN_B: "token-b", DOCS_TOKEN: "token-docs" };
const text = (r: { content: unknown }) => (r.content as { text: string }[]).map((c) => c.text).join("");
const errorOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) throw new Error("expected a rejection");
  return { err, ...toErrorEnvelope(err) };
};

/** This file's rows only: with DATABASE_URL the table is shared with other tests and demos. */
const ours = async () => (await listUpstreamRows((await getDb()).prisma)).filter((r) => r.tenantId === A || r.tenantId === B);
/** Upstreams of the listing that are this test's (the file's and its tenants' own). */
const mine = (l: { upstreams: UpstreamView[] }) => l.upstreams.filter((u) => u.source === "file" || u.tenant !== null);

let upA: TestUpstream;
let upB: TestUpstream;
let docs: TestUpstream;
let registry: UpstreamRegistry;
let audited: AuditInput[];
let auditDown = false;
let deps: UpstreamAdminDeps;

const body = (name: string, url: string, token: string, extra: Record<string, unknown> = {}) => ({
  transport: "http",
  url,
  headers: { Authorization: `Bearer \${${token}}`, "X-Team": "platform" },
  tools: { create_ticket: { aliases: [`${name}.create`] } },
  facts: { body: "title" },
  timeout_ms: 5000,
  ...extra,
});

beforeAll(async () => {
  // The test upstreams listen on loopback.
  process.env.UPSTREAM_ALLOW_PRIVATE_NETWORKS = "true";
  resetEnvForTests();
  [upA, upB, docs] = await Promise.all([
    startTestUpstream({ token: "token-a", label: "upstream-a" }),
    startTestUpstream({ token: "token-b", label: "upstream-b" }),
    startTestUpstream({ token: "token-docs", label: "docs" }),
  ]);
  registry = new UpstreamRegistry(
    parseUpstreamsConfig(`
servers:
  - name: docs
    transport: http
    url: ${docs.url}
    headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
    tools:
      whoami: { aliases: [kb.whoami] }
      create_ticket: { hidden: true }
`),
    {
      baseDir: process.cwd(),
      resolveSecret: (n) => secrets[n],
      connectTimeoutMs: 2_000,
      backoff: { initialMs: 20, maxMs: 100 },
      db: { load: ours, reloadMs: RELOAD_MS },
    },
  );
  deps = {
    db: getDb,
    registry: () => registry,
    network: () => upstreamNetwork(env()),
    audit: async (input) => {
      if (auditDown) throw new Error("audit store unreachable");
      audited.push(input);
    },
  };
});

afterEach(() => {
  auditDown = false;
});

afterAll(async () => {
  const { prisma } = await getDb();
  await prisma.upstreamServer.deleteMany({ where: { tenantId: { in: [A, B] } } });
  await registry?.close();
  await Promise.all([upA?.stop(), upB?.stop(), docs?.stop()]);
  await (await testDb).drop();
});

describe("admin-managed HTTP upstreams", () => {
  test("an upstream put through the admin API is listed and callable for its tenant only", async () => {
    audited = [];
    const r = await putUpstream(adminA, "tickets", body("tickets", upA.url, "UPSTREAM_TOKEN_A"), {}, deps);
    expect(r.created).toBe(true);
    expect(r.upstream).toMatchObject({
      name: "tickets",
      source: "db",
      tenant: A,
      editable: true,
      transport: "http",
      url: upA.url,
      headers: { Authorization: "Bearer ${UPSTREAM_TOKEN_A}", "X-Team": "platform" },
      timeout_ms: 5000,
      facts: { body: "title" },
      problem: null,
    });
    expect(audited).toEqual([
      expect.objectContaining({ tenant: A, kind: "admin_action", subject: "admin-a", reason: `upstream tickets created (http ${upA.url})`, data: expect.objectContaining({ action: "upstream.put", upstream: "tickets", before: null }) }),
    ]);

    const listedA = await registry.listTools({ tenant: A });
    expect(listedA.errors).toEqual([]);
    expect(listedA.tools.map((t) => t.name).sort()).toEqual(["kb.whoami", "tickets.create", "tickets.whoami"]);
    expect(listedA.tools.find((t) => t.name === "tickets.create")).toMatchObject({ upstream: "tickets", upstreamTool: "create_ticket", facts: { body: "title" }, timeoutMs: 5000 });
    expect(text(await registry.callTool("tickets.create", { title: "disk full" }, { tenant: A }))).toBe('upstream-a: created "disk full"');
    // The secret was resolved at connect time and sent; it is stored as a reference only.
    expect(upA.seen.authorizations.every((a) => a === "Bearer token-a")).toBe(true);
    const row = await getUpstreamRow((await getDb()).prisma, A, "tickets");
    expect(row).toMatchObject({ transport: "http", command: null, url: upA.url, headers: { Authorization: "Bearer ${UPSTREAM_TOKEN_A}" }, toolMappings: { timeout_ms: 5000, facts: { body: "title" } } });

    // Tenant B sees the file's upstream, not A's.
    const listedB = await registry.listTools({ tenant: B });
    expect(listedB.tools.map((t) => t.name)).toEqual(["kb.whoami"]);
    await expect(registry.callTool("tickets.create", { title: "x" }, { tenant: B })).rejects.toBeInstanceOf(UnknownToolError);
    await expect(registry.callTool("tickets.create", { title: "x" })).rejects.toBeInstanceOf(UnknownToolError);
    expect(registry.factMaps({ tenant: A })["tickets.*"]).toEqual({ body: "title" });
    expect(registry.factMaps({ tenant: B })["tickets.*"]).toBeUndefined();

    const viewA = await listUpstreams(adminA, {}, deps);
    expect(mine(viewA).map((u) => [u.name, u.source, u.editable])).toEqual([
      ["docs", "file", false],
      ["tickets", "db", true],
    ]);
    expect(mine(viewA)[1].status).toMatchObject({ state: "ready", restarts: 0, consecutive_failures: 0 });
    expect(viewA.database.error).toBeNull();
    expect(mine(await listUpstreams(adminB, {}, deps)).map((u) => u.name)).toEqual(["docs"]);
  });

  test("two tenants may each have an upstream of the same name; each reaches its own", async () => {
    const r = await putUpstream(adminB, "tickets", body("tickets", upB.url, "UPSTREAM_TOKEN_B"), {}, deps);
    expect(r.created).toBe(true);
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: A }))).toBe("upstream-a");
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: B }))).toBe("upstream-b");
    expect(upB.seen.authorizations.every((a) => a === "Bearer token-b")).toBe(true);
    expect(registry.status({ tenant: B }).filter((s) => s.source === "db").map((s) => s.tenant)).toEqual([B]);
  });

  test("replacing an upstream answers 200 with created false and audits before and after", async () => {
    audited = [];
    const r = await putUpstream(adminA, "tickets", body("tickets", upA.url, "UPSTREAM_TOKEN_A", { timeout_ms: 7000 }), {}, deps);
    expect(r).toMatchObject({ created: false, upstream: { timeout_ms: 7000 } });
    expect(audited[0]).toMatchObject({ reason: `upstream tickets replaced (http ${upA.url})`, data: { before: { timeout_ms: 5000 }, after: { timeout_ms: 7000 } } });
    expect((await registry.resolveTool("tickets.create", { tenant: A })).timeoutMs).toBe(7000);
  });

  test("stdio is refused with a 400 pointing at upstreams.yaml; nothing stored or audited", async () => {
    audited = [];
    for (const bad of [
      { transport: "stdio", command: "sh", args: ["-c", "touch /tmp/pwned"] },
      { transport: "http", url: upA.url, command: "sh" },
      { transport: "stdio", package: "@modelcontextprotocol/server-filesystem" },
    ]) {
      const { status, body: env } = await errorOf(putUpstream(adminA, "shell", bad, {}, deps));
      expect(status).toBe(400);
      expect(env.error.message).toMatch(/^stdio upstreams cannot be managed through the API: they run a command on the gateway host\. Configure them in upstreams\.yaml/);
    }
    expect(audited).toEqual([]);
    expect(await getUpstreamRow((await getDb()).prisma, A, "shell")).toBeNull();
  });

  test.each([
    ["a literal credential header", { headers: { Authorization: "Bearer sk-live-123" } }, "headers.Authorization: credential headers must reference a secret such as ${UPSTREAM_TOKEN}, not hold the value"],
    ["a literal API key header", { headers: { "X-Api-Key": "abc" } }, "headers.X-Api-Key: credential headers must reference a secret"],
    ["a reference to a gateway secret", { headers: { "X-Leak": "${DATABASE_URL}" } }, "headers.X-Leak: ${DATABASE_URL} is not allowed: upstreams managed through the API may only reference secrets named UPSTREAM_*"],
    ["credentials in the URL", { url: "https://user:pw@mcp.example.com/mcp" }, "url: no credentials in the URL"],
    ["a non-http URL", { url: "file:///etc/passwd" }, "url: expected an http(s) URL"],
    ["an alias outside its namespace", { tools: { create_ticket: { aliases: ["fs.write"] } } }, "tools.create_ticket.aliases.0: alias fs.write must start with extra. (the upstream's own namespace)"],
    ["an unknown key", { path_map: { "/x": "/etc" } }, "path_map: unknown field"],
  ])("%s is refused (400) and nothing is stored", async (_label, extra, message) => {
    audited = [];
    const { status, body: env } = await errorOf(putUpstream(adminA, "extra", { ...body("extra", upA.url, "UPSTREAM_TOKEN_A"), ...extra }, {}, deps));
    expect(status).toBe(400);
    expect(env.error.message).toContain(message);
    expect(audited).toEqual([]);
    expect(await getUpstreamRow((await getDb()).prisma, A, "extra")).toBeNull();
  });

  test("names of file upstreams, of file alias namespaces and reserved namespaces are refused", async () => {
    const file = await errorOf(putUpstream(adminA, "docs", body("docs", upA.url, "UPSTREAM_TOKEN_A"), {}, deps));
    expect(file.status).toBe(409);
    expect(file.body.error.message).toBe("upstream docs is defined in upstreams.yaml and is read-only here: change it in the file (operators), or choose another name");
    const alias = await errorOf(putUpstream(adminA, "kb", body("kb", upA.url, "UPSTREAM_TOKEN_A"), {}, deps));
    expect(alias.status).toBe(409);
    expect(alias.body.error.message).toBe("the name kb is taken by alias kb.whoami of upstream docs (tool whoami) in upstreams.yaml: choose another name");
    const reserved = await errorOf(putUpstream(adminA, "cloud", body("cloud", upA.url, "UPSTREAM_TOKEN_A"), {}, deps));
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toBe("invalid request: name: cloud is reserved for built-in tools");
    const other = await errorOf(putUpstream(adminA, "x", body("x", upA.url, "UPSTREAM_TOKEN_A"), { tenant: B }, deps));
    expect(other.status).toBe(403);
    const del = await errorOf(deleteUpstream(adminA, "docs", {}, deps));
    expect(del.status).toBe(409);
    expect((await errorOf(deleteUpstream(adminA, "nope", {}, deps))).status).toBe(404);
  });

  test("audit log down: 503 and nothing changed", async () => {
    auditDown = true;
    const put = await errorOf(putUpstream(adminA, "later", body("later", upA.url, "UPSTREAM_TOKEN_A"), {}, deps));
    expect(put.status).toBe(503);
    expect(put.body.error.message).toBe("the audit log is unavailable, so upstream later was not changed: audit store unreachable");
    expect(await getUpstreamRow((await getDb()).prisma, A, "later")).toBeNull();
    const del = await errorOf(deleteUpstream(adminA, "tickets", {}, deps));
    expect(del.status).toBe(503);
    expect(await getUpstreamRow((await getDb()).prisma, A, "tickets")).not.toBeNull();
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: A }))).toBe("upstream-a");
  });

  test("a change by another replica (a direct database write) is picked up within the reload interval, keeping unchanged connections", async () => {
    const { prisma } = await getDb();
    await registry.callTool("tickets.whoami", {}, { tenant: A });
    const opened = upA.seen.sessionsOpened;
    const sessionsB = upB.seen.sessionsOpened;

    // Picked up by the periodic reload (no call here triggers one): polled, not timed.
    const loadedBefore = registry.dbState().loadedAt;
    await putUpstreamRow(prisma, { tenantId: A, name: "wiki", url: upB.url, headers: { Authorization: "Bearer ${UPSTREAM_TOKEN_B}" }, toolMappings: {}, enabled: true });
    await expect.poll(() => registry.callTool("wiki.whoami", {}, { tenant: A }).then(text, (e: Error) => e.message), { timeout: RELOAD_MS * 20, interval: 50 }).toBe("upstream-b");
    expect(registry.dbState().loadedAt).not.toBe(loadedBefore);

    // The unchanged upstreams kept their sessions.
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: A }))).toBe("upstream-a");
    expect(upA.seen.sessionsOpened).toBe(opened);
    expect(registry.status({ tenant: A }).find((s) => s.name === "tickets")).toMatchObject({ state: "ready", restarts: 0 });

    // Disabled by the other replica: gone within the interval, its session ended.
    const endedBefore = upB.seen.sessionsEnded;
    await prisma.upstreamServer.updateMany({ where: { tenantId: A, name: "wiki" }, data: { enabled: false } });
    await expect.poll(() => registry.callTool("wiki.whoami", {}, { tenant: A }).then(text, (e: Error) => e.constructor.name), { timeout: RELOAD_MS + 2_000, interval: 50 }).toBe("UnknownToolError");
    await expect.poll(() => upB.seen.sessionsEnded).toBe(endedBefore + 1);
    expect(upB.seen.sessionsOpened).toBe(sessionsB + 1);
    // B's own tickets upstream (same server) is untouched.
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: B }))).toBe("upstream-b");
  });

  test("a stdio row written straight into the table is never run, and is reported", async () => {
    const { prisma } = await getDb();
    await prisma.upstreamServer.create({
      data: { id: randomUUID(), tenantId: A, name: "evil", transport: "stdio", command: "sh", args: ["-c", "echo pwned > /tmp/canopy-pwned"] },
    });
    await registry.refresh();
    expect(registry.upstreamNames({ tenant: A })).not.toContain("evil");
    expect(registry.dbState().problems).toContainEqual({ tenant: A, name: "evil", message: expect.stringMatching(/^stdio upstreams cannot be managed through the API/) });
    await expect(registry.callTool("evil.anything", {}, { tenant: A })).rejects.toBeInstanceOf(UnknownToolError);
    const view = await listUpstreams(adminA, {}, deps);
    expect(view.upstreams.find((u) => u.name === "evil")).toMatchObject({ source: "db", transport: "stdio", status: null, problem: expect.stringMatching(/upstreams\.yaml/) });
    await prisma.upstreamServer.deleteMany({ where: { tenantId: A, name: "evil" } });
  });

  test("delete removes the upstream and closes its connection", async () => {
    audited = [];
    await registry.callTool("tickets.whoami", {}, { tenant: A });
    const ended = upA.seen.sessionsEnded;
    const inFlight = registry.callTool("tickets.whoami", {}, { tenant: A });
    expect(await deleteUpstream(adminA, "tickets", {}, deps)).toEqual({ deleted: "tickets", tenant: A });
    await inFlight.catch(() => undefined);
    expect(audited).toEqual([expect.objectContaining({ tenant: A, kind: "admin_action", reason: `upstream tickets deleted (http ${upA.url})`, data: expect.objectContaining({ action: "upstream.delete" }) })]);
    expect(await getUpstreamRow((await getDb()).prisma, A, "tickets")).toBeNull();
    await expect.poll(() => upA.seen.sessionsEnded).toBe(ended + 1);
    expect(upA.openSessions()).toBe(0);
    expect(registry.status({ tenant: A }).some((s) => s.source === "db" && s.name === "tickets")).toBe(false);
    await expect(registry.callTool("tickets.whoami", {}, { tenant: A })).rejects.toBeInstanceOf(UnknownToolError);
    expect((await registry.listTools({ tenant: A })).tools.map((t) => t.name)).toEqual(["kb.whoami"]);
    // Tenant B's upstream of the same name is still there.
    expect(text(await registry.callTool("tickets.whoami", {}, { tenant: B }))).toBe("upstream-b");
  });

  test("a database outage keeps the upstreams last loaded", async () => {
    let fail = false;
    const r = new UpstreamRegistry(parseUpstreamsConfig("servers: []"), {
      baseDir: process.cwd(),
      resolveSecret: (n) => secrets[n],
      db: {
        load: async () => {
          if (fail) throw new Error("connection refused");
          return ours();
        },
        reloadMs: 50,
      },
    });
    try {
      expect(text(await r.callTool("tickets.whoami", {}, { tenant: B }))).toBe("upstream-b");
      fail = true;
      // Once the configuration is due for a reload (a call after reloadMs starts one), the reload
      // fails: every call still answers from the last good configuration.
      await expect
        .poll(async () => {
          expect(text(await r.callTool("tickets.whoami", {}, { tenant: B }))).toBe("upstream-b");
          return r.dbState().error;
        }, { timeout: 10_000, interval: 20 })
        .toBe("database upstreams could not be loaded: connection refused");
    } finally {
      await r.close();
    }
    const closed = await r.callTool("tickets.whoami", {}, { tenant: B }).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe("rows the registry refuses or narrows (synthetic rows, no database)", () => {
  const row = (over: Partial<UpstreamRow>): UpstreamRow => ({
    id: randomUUID(), tenantId: null, name: "shared", transport: "http", command: null, url: "http://127.0.0.1:9/mcp", headers: {}, toolMappings: {}, enabled: true,
    createdAt: new Date(), updatedAt: new Date(), ...over,
  });

  test("an upstream stored for every tenant honours tool_mappings.tenants and cannot be shadowed; file names and gateway secrets are refused", async () => {
    const rows = [
      row({ tenantId: B, name: "shared" }),
      row({ toolMappings: { tenants: [A] } }),
      row({ tenantId: A, name: "docs" }),
      row({ tenantId: A, name: "leak", headers: { "X-Token": "${DATABASE_URL}" } }),
      row({ tenantId: A, name: "narrowed", toolMappings: { tenants: [B] } }),
      row({ tenantId: A, name: "off", enabled: false }),
    ];
    const r = new UpstreamRegistry(parseUpstreamsConfig("servers:\n  - name: docs\n    transport: http\n    url: http://127.0.0.1:9/mcp\n"), {
      baseDir: process.cwd(),
      resolveSecret: (n) => secrets[n],
      db: { load: async () => rows },
    });
    try {
      await r.refresh();
      expect(r.upstreamNames({ tenant: A })).toEqual(["docs", "shared"]);
      expect(r.upstreamNames({ tenant: B })).toEqual(["docs"]);
      expect(r.upstreamNames()).toEqual(["docs", "shared"]);
      expect(r.dbState().problems).toEqual([
        { tenant: B, name: "shared", message: "the name shared is taken by an upstream stored for every tenant" },
        { tenant: A, name: "docs", message: "the name docs is taken by upstream docs in upstreams.yaml" },
        { tenant: A, name: "leak", message: expect.stringContaining("headers.X-Token: ${DATABASE_URL} is not allowed") },
        { tenant: A, name: "narrowed", message: "tool_mappings.tenants is only for upstreams stored for every tenant" },
      ]);
    } finally {
      await r.close();
    }
  });
});
