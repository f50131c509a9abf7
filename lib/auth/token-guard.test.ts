import { afterAll, describe, expect, test } from "vitest";
import { env } from "@/lib/env";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import type { Principal } from "./principal";
import { TOKEN_REVOKED_CHANNEL, TokenGuard } from "./token-guard";

/** A database stand-in that counts its reads, so the tests can tell a cache hit from a lookup. */
function fakeDb(tenants: string[]) {
  const revoked = new Set<string>();
  const reads = { revoked: 0, tenants: 0 };
  return {
    revoked,
    reads,
    isRevoked: async (jti: string) => {
      reads.revoked++;
      return revoked.has(jti);
    },
    tenantExists: async (t: string) => {
      reads.tenants++;
      return tenants.includes(t);
    },
  };
}

const principal = (tenant: string, jti: string): Principal => ({ kind: "token", tenant, subject: "agent", roles: ["agent"], tokenId: jti });
const refusal = (g: TokenGuard, p: Principal) => g.check(p).then(() => "accepted", (e: { status: number; message: string }) => `${e.status} ${e.message}`);
const tick = () => new Promise((r) => setTimeout(r, 20));

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe("tenant existence", () => {
  test("a token for a tenant that does not exist is refused (401, naming the tenant)", async () => {
    const g = new TokenGuard({ kv: memoryKv(), ...fakeDb(["acme"]) });
    expect(await refusal(g, principal("ghost", "j1"))).toBe("401 invalid bearer token: its tenant ghost does not exist or is suspended (a platform admin creates and resumes tenants: /api/admin/tenants)");
    expect(await refusal(g, principal("acme", "j1"))).toBe("accepted");
  });

  test("existence is cached briefly and boundedly; a missing tenant for a shorter time", async () => {
    const db = fakeDb(["acme"]);
    const g = new TokenGuard({ kv: memoryKv(), ...db, cacheMs: 200, missingTenantCacheMs: 50, maxEntries: 3 });
    for (let i = 0; i < 5; i++) await g.tenantExists("acme");
    expect(db.reads.tenants).toBe(1);
    await g.tenantExists("ghost");
    await g.tenantExists("ghost");
    expect(db.reads.tenants).toBe(2);
    await new Promise((r) => setTimeout(r, 80));
    await g.tenantExists("ghost"); // expired: asked again
    await g.tenantExists("acme"); // still cached
    expect(db.reads.tenants).toBe(3);
    for (const t of ["a", "b", "c", "d"]) await g.tenantExists(t); // at most 3 entries: acme is evicted
    const before = db.reads.tenants;
    await g.tenantExists("acme");
    expect(db.reads.tenants).toBe(before + 1);
  });
});

/** Two replicas' views of one store: the same in-process store, or two connections to one Redis. */
const stores: [string, () => [KvStore, KvStore]][] = [
  [
    "in-process KV",
    () => {
      const kv = memoryKv();
      return [kv, kv];
    },
  ],
];
if (env().REDIS_URL) stores.push(["Redis", () => [redisKv(env().REDIS_URL!, 2000), redisKv(env().REDIS_URL!, 2000)]]);

describe.each(stores)("revocation across replicas sharing one %s", (_label, makeKv) => {
  test("the revoking replica refuses at once; the other drops its cached answer on the pub/sub message", async () => {
    const [kv, subKv] = makeKv();
    closers.push(() => kv.close(), () => subKv.close());
    const db = fakeDb(["acme"]);
    const a = new TokenGuard({ kv, ...db });
    const b = new TokenGuard({ kv: subKv, ...db });
    closers.push(() => a.close(), () => b.close());
    expect(await a.listen()).toBe(true);
    expect(await b.listen()).toBe(true);

    const p = principal("acme", "tok-1");
    expect(await refusal(a, p)).toBe("accepted");
    expect(await refusal(b, p)).toBe("accepted");
    const reads = db.reads.revoked;
    expect(await refusal(b, p)).toBe("accepted");
    expect(db.reads.revoked).toBe(reads); // cached: without the announcement b would keep accepting for 5 s

    db.revoked.add("tok-1"); // the database records it first…
    await a.revoke("tok-1"); // …then the revoking replica marks and announces it
    expect(await refusal(a, p)).toBe("401 invalid bearer token: token revoked");
    for (let i = 0; i < 50 && (await refusal(b, p)) === "accepted"; i++) await tick();
    expect(await refusal(b, p)).toBe("401 invalid bearer token: token revoked");
    expect(db.reads.revoked).toBe(reads); // b learnt it from the message, not from a database read
  });

  test("a replica that is not subscribed keeps its cached answer: the pub/sub message is what makes it immediate", async () => {
    const db = fakeDb(["acme"]);
    const [shared] = makeKv();
    const lonelyKv = memoryKv();
    closers.push(() => shared.close(), () => lonelyKv.close());
    const a = new TokenGuard({ kv: shared, ...db });
    const lonely = new TokenGuard({ kv: lonelyKv, ...db, cacheMs: 60_000 });
    closers.push(() => a.close(), () => lonely.close());
    await a.listen();
    await lonely.listen();
    const p = principal("acme", "tok-2");
    expect(await refusal(lonely, p)).toBe("accepted");
    db.revoked.add("tok-2");
    await a.revoke("tok-2");
    await tick();
    expect(await refusal(lonely, p)).toBe("accepted");
  });
});

describe("revocation cache", () => {
  test("until the subscription is live, 'not revoked' is never cached", async () => {
    const db = fakeDb(["acme"]);
    const kv = memoryKv();
    const down: KvStore = { ...kv, subscribe: () => Promise.reject(new Error("redis down")) };
    const g = new TokenGuard({ kv: down, ...db });
    expect(await g.listen()).toBe(false);
    await g.isRevoked("t");
    await g.isRevoked("t");
    expect(db.reads.revoked).toBe(2);
    db.revoked.add("t");
    expect(await g.isRevoked("t")).toBe(true);
  });

  test("a revocation announced while the database is being asked wins over the older answer", async () => {
    const kv = memoryKv();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const g = new TokenGuard({ kv, isRevoked: async () => (await slow, false), tenantExists: async () => true });
    await g.listen();
    const pending = g.isRevoked("race");
    await kv.publish(TOKEN_REVOKED_CHANNEL, "race");
    await tick();
    release();
    expect(await pending).toBe(true);
    expect(await g.isRevoked("race")).toBe(true);
  });

  test("announcements that are not token ids are ignored", async () => {
    const kv = memoryKv();
    const db = fakeDb(["acme"]);
    const g = new TokenGuard({ kv, ...db });
    await g.listen();
    await kv.publish(TOKEN_REVOKED_CHANNEL, "x".repeat(500));
    await kv.publish(TOKEN_REVOKED_CHANNEL, "bad id with spaces");
    await tick();
    expect(await g.isRevoked("bad id with spaces")).toBe(false);
  });
});
