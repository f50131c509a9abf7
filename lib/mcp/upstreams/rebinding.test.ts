import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuditInput } from "@/lib/audit";
import type { Principal } from "@/lib/auth";
import { createTestDb } from "@/lib/db/testing";
import { getUpstreamRow, listUpstreamRows } from "@/lib/db/upstreams";
import { AppError } from "@/lib/errors";
import { listUpstreams, putUpstream, type UpstreamAdminDeps } from "./admin";
import { parseUpstreamsConfig } from "./config";
import { UpstreamUnavailableError } from "./errors";
import { AddressPolicy, type Resolver } from "./network-guard";
import { UpstreamRegistry } from "./registry";
import { startTestUpstream, type TestUpstream } from "./test-server";

// This file's own database (real Postgres with DATABASE_URL, else in-memory PGlite).
const testDb = createTestDb();
const getDb = () => testDb;

/**
 * DNS rebinding: a name that resolves to a public address when the tenant admin saves the
 * upstream, and to 127.0.0.1 when the gateway connects. The save-time check passes (it must: the
 * answer was public); the connect-time check refuses, and the local server never sees a request.
 * The control run allowlists the name, and the same connection does reach the server.
 */

const run = randomBytes(4).toString("hex");
const T = `rebind-${run}`;
const admin: Principal = { kind: "token", tenant: T, subject: "admin", roles: ["admin"] };

let local: TestUpstream;
let phase: "save" | "connect" = "save";
const lookups: { host: string; phase: string }[] = [];
/** Public when saved, loopback afterwards: what an attacker's DNS server would answer. */
const rebinding: Resolver = async (host) => {
  lookups.push({ host, phase });
  if (host !== "rebind.attacker.example") return [];
  return phase === "save" ? ["93.184.216.34"] : ["127.0.0.1"];
};

const ours = async () => (await listUpstreamRows((await getDb()).prisma)).filter((r) => r.tenantId === T);
const registryWith = (policy: AddressPolicy) =>
  new UpstreamRegistry(parseUpstreamsConfig("servers: []\n"), {
    baseDir: process.cwd(),
    resolveSecret: (n) => ({ UPSTREAM_REBIND_TOKEN: "rebind-token" })[n],
    connectTimeoutMs: 2_000,
    backoff: { initialMs: 10, maxMs: 20 },
    db: { load: ours, reloadMs: 60_000 },
    network: { policy, resolve: rebinding },
  });

const strict = new AddressPolicy({ allowPrivate: false });
let registry: UpstreamRegistry;
const audited: AuditInput[] = [];

beforeAll(async () => {
  local = await startTestUpstream({ token: "rebind-token", label: "internal-service" });
  registry = registryWith(strict);
});

afterAll(async () => {
  const { prisma } = await getDb();
  await prisma.upstreamServer.deleteMany({ where: { tenantId: T } });
  await registry?.close();
  await local?.stop();
  await (await testDb).drop();
});

describe("DNS rebinding against an admin-managed upstream", () => {
  test("saved while public, refused at connect time when the name answers 127.0.0.1; the local server sees zero requests", async () => {
    const port = new URL(local.url).port;
    const deps: UpstreamAdminDeps = {
      db: getDb,
      registry: () => registry,
      audit: async (i) => void audited.push(i),
      network: () => ({ policy: strict, resolve: rebinding }),
    };
    const body = {
      transport: "http",
      url: `http://rebind.attacker.example:${port}/mcp`,
      headers: { Authorization: "Bearer ${UPSTREAM_REBIND_TOKEN}" },
      tools: { whoami: { aliases: ["rebind.whoami"] } },
    };
    const saved = await putUpstream(admin, "rebind", body, {}, deps);
    expect(saved.created).toBe(true);
    expect(lookups.some((l) => l.phase === "save")).toBe(true);

    phase = "connect";
    const err = await registry.callTool("rebind.whoami", {}, { tenant: T }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toBe(
      "upstream rebind is unavailable: failed to start: refused to connect: rebind.attacker.example is or resolves to a non-public address (loopback), which upstreams managed through the API may not reach",
    );
    expect(lookups.some((l) => l.phase === "connect" && l.host === "rebind.attacker.example")).toBe(true);
    expect(local.seen.authorizations).toHaveLength(0);
    expect(local.seen.calls).toBe(0);

    // The admin listing shows the refused class, nothing the internal service could have said.
    const view = await listUpstreams(admin, {}, deps);
    const row = view.upstreams.find((u) => u.name === "rebind")!;
    expect(row.status?.last_error).toBe("failed to start: refused to connect: rebind.attacker.example is or resolves to a non-public address (loopback), which upstreams managed through the API may not reach");
  });

  test("control: with the name on the operator's allowlist, the very same connection reaches the local server", async () => {
    const allowed = registryWith(new AddressPolicy({ allowPrivate: false, allowlist: "rebind.attacker.example" }));
    try {
      const r = await allowed.callTool("rebind.whoami", {}, { tenant: T });
      expect((r.content as { text: string }[])[0].text).toBe("internal-service");
      expect(local.seen.calls).toBe(1);
    } finally {
      await allowed.close();
    }
  });

  test("a URL naming loopback directly is refused at save time: 400, nothing stored, nothing audited", async () => {
    const before = audited.length;
    const deps: UpstreamAdminDeps = { db: getDb, registry: () => registry, audit: async (i) => void audited.push(i), network: () => ({ policy: strict, resolve: rebinding }) };
    for (const url of [`http://[::ffff:127.0.0.1]:9/mcp`, `http://[::ffff:7f00:1]:9/mcp`, `http://2130706433:9/mcp`, `http://0177.0.0.1:9/mcp`]) {
      const err = await putUpstream(admin, "direct", { transport: "http", url }, {}, deps).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 400, code: "bad_request", message: expect.stringMatching(/is a non-public address \((IPv4-mapped )?loopback.*Nothing was stored/) });
    }
    expect(await getUpstreamRow((await getDb()).prisma, T, "direct")).toBeNull();
    expect(audited.length).toBe(before);
  });
});
