import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, installTestServices } from "@/lib/server/testing";
import type { Services } from "@/lib/server/types";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { upsertTenant } from "@/lib/db/tenants";
import { ensureMembership, ensureUser } from "@/lib/db/users";
import { env, resetEnvForTests } from "@/lib/env";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import { clientAddress, loginThrottle } from "./login-throttle";
import { hashPassword } from "./passwords";

const stores: [string, () => KvStore][] = [["memory", () => memoryKv()]];
const redisUrl = env().REDIS_URL;
if (redisUrl) stores.push(["redis", () => redisKv(redisUrl, 1000)]);
const opened: KvStore[] = [];

describe.each(stores)("loginThrottle (%s)", (_kind, make) => {
  const kv = make();
  opened.push(kv);
  const t = loginThrottle({ kv, maxPerLogin: 3, maxPerAddress: 5, windowSeconds: 60 });
  const login = () => `user-${randomUUID()}@example.com`;
  const addr = () => `203.0.113.${Math.floor(Math.random() * 250)}-${randomUUID().slice(0, 4)}`;

  test("3 failures for one login: the 4th attempt is refused, from any address; the first refusal is marked for the audit", async () => {
    const l = login();
    for (let i = 0; i < 3; i++) {
      expect(await t.check(l, addr())).toEqual({ allowed: true });
      await t.failed(l, addr());
    }
    const first = await t.check(l.toUpperCase(), addr()); // logins compare case-insensitively
    expect(first).toMatchObject({ allowed: false, scope: "login", failures: 3, limit: 3, first: true });
    expect(first.allowed === false && first.retryAfterSeconds).toBeGreaterThan(0);
    expect(await t.check(l, addr())).toMatchObject({ allowed: false, first: false });
  });

  test("5 failures from one address over different logins: that address is refused for every login, others are not", async () => {
    const a = addr();
    for (let i = 0; i < 5; i++) await t.failed(login(), a);
    expect(await t.check(login(), a)).toMatchObject({ allowed: false, scope: "address", failures: 5 });
    expect(await t.check(login(), addr())).toEqual({ allowed: true });
  });

  test("a success clears the login's failures", async () => {
    const l = login();
    for (let i = 0; i < 2; i++) await t.failed(l, null);
    await t.succeeded(l);
    for (let i = 0; i < 2; i++) await t.failed(l, null);
    expect(await t.check(l, null)).toEqual({ allowed: true });
  });

  test("the window ends: failures are forgotten", async () => {
    const short = loginThrottle({ kv, maxPerLogin: 1, maxPerAddress: 100, windowSeconds: 1 });
    const l = login();
    await short.failed(l, null);
    expect((await short.check(l, null)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await short.check(l, null)).allowed).toBe(true);
  });
});

describe("clientAddress", () => {
  test.each([
    [{ "x-forwarded-for": "10.0.0.1" }, "10.0.0.1"],
    [{ "x-forwarded-for": "198.51.100.9, 10.0.0.1" }, "10.0.0.1"],
    [new Headers({ "x-forwarded-for": "::ffff:127.0.0.1" }), "::ffff:127.0.0.1"],
    [{}, null],
    [undefined, null],
  ])("%j → %s (the entry the nearest hop added)", (headers, expected) => {
    expect(clientAddress(headers as Record<string, string>)).toBe(expected);
  });
});

// ------------------------------------------------------------------------------------------------
// The credentials provider itself: throttled attempts get the same answer as a wrong password.

let db: TestDb;
let dataDir: string;
let svc: Services;
let restoreServices: () => Promise<void>;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "canopy-login-"));
  Object.assign(process.env, { CANOPY_DATA_DIR: dataDir, LOG_LEVEL: "silent", LOGIN_MAX_FAILURES_PER_LOGIN: "3", LOGIN_MAX_FAILURES_PER_ADDRESS: "6", CANOPY_PLATFORM_TENANT: "platform" });
  resetEnvForTests();
  svc = createTestServices(db);
  restoreServices = installTestServices(svc);
  await upsertTenant(db.prisma, "acme", "Acme");
  await upsertTenant(db.prisma, "platform", "Platform");
  await ensureUser(db.prisma, { id: "carol", email: "carol@example.com", name: "Carol", passwordHash: await hashPassword("right-password") });
  await ensureMembership(db.prisma, "acme", "carol", ["admin"]);
});
afterAll(async () => {
  await restoreServices();
  await Promise.all(opened.map((s) => s.close()));
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(email: string, password: string, address: string) {
  const provider = svc.authOptions.providers.find((p) => p.id === "credentials") as unknown as {
    options: { authorize(c: Record<string, string>, req: { headers: Record<string, string> }): Promise<{ id: string } | null> };
  };
  return provider.options.authorize({ email, password }, { headers: { "x-forwarded-for": address } });
}

const denials = async (tenant: string) =>
  (await svc.audit.search(tenant, { kind: ["login"], decision: "deny", limit: 100 })).records;

describe("console sign-in throttling (credentials provider)", () => {
  test("per login: after 3 failures even the right password is refused, with the same generic null; audited in the user's tenant", async () => {
    expect(await signIn("carol@example.com", "right-password", "198.51.100.1")).toMatchObject({ id: "carol" });
    for (let i = 0; i < 3; i++) expect(await signIn("carol@example.com", `wrong-${i}`, `198.51.100.${10 + i}`)).toBeNull();
    expect(await signIn("Carol@Example.com", "right-password", "198.51.100.99")).toBeNull();
    const records = await denials("acme");
    expect(records.filter((r) => /wrong login or password/.test(r.reason ?? ""))).toHaveLength(3);
    const throttled = records.filter((r) => /throttled/.test(r.reason ?? ""));
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ subject: "carol", data: { throttled: "login", address: "198.51.100.99" } });
  });

  test("per address: 6 failures from one address (unknown logins) lock that address out, audited in the platform tenant", async () => {
    for (let i = 0; i < 6; i++) expect(await signIn(`nobody-${i}@example.com`, "x", "192.0.2.50")).toBeNull();
    await ensureUser(db.prisma, { id: "dave", email: "dave@example.com", name: "Dave", passwordHash: await hashPassword("dave-password") });
    expect(await signIn("dave@example.com", "dave-password", "192.0.2.50")).toBeNull();
    expect(await signIn("dave@example.com", "dave-password", "192.0.2.51")).toMatchObject({ id: "dave" });
    const platform = await denials("platform");
    expect(platform.filter((r) => r.data && (r.data as { address?: string }).address === "192.0.2.50")).toHaveLength(7);
  });
});
