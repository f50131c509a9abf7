import { generateKeyPairSync } from "node:crypto";
import { afterAll, describe, expect, test } from "vitest";
import { env } from "@/lib/env";
import { type KvStore, memoryKv, redisKv } from "@/lib/redis";
import type { Principal } from "./principal";
import { VerifiedTokenCache } from "./token-cache";
import { TokenGuard } from "./token-guard";
import { mintToken, verifyToken } from "./tokens";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keys = {
  privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  issuer: "canopyiq",
  audience: "canopyiq-api",
};
const T0 = 1_800_000_000; // seconds

/** A cache on a settable clock whose verifier counts its (real, Ed25519) verifications. */
function cacheAt(startSeconds: number) {
  const clock = { now: startSeconds * 1000 };
  const counts = { verified: 0 };
  const cache = new VerifiedTokenCache({
    now: () => clock.now,
    verify: (token) => {
      counts.verified++;
      return verifyToken(token, keys, Math.floor(clock.now / 1000), 86_400);
    },
  });
  return { cache, clock, counts };
}

const mint = (ttlSeconds: number, subject = "agent") => mintToken({ tenant: "acme", subject, roles: ["agent"], ttlSeconds, now: T0 }, keys, 86_400);
const outcome = (p: Promise<Principal>) => p.then((x) => `ok ${x.subject}`, (e: { status: number; message: string }) => `${e.status} ${e.message}`);

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe("VerifiedTokenCache", () => {
  test("a token is verified once, then served from the cache until it expires, then verified (and refused) again", async () => {
    const { token } = await mint(60);
    const { cache, clock, counts } = cacheAt(T0 + 1);
    for (let i = 0; i < 5; i++) expect(await outcome(cache.verify(token))).toBe("ok agent");
    expect(counts.verified).toBe(1);
    clock.now = (T0 + 59) * 1000;
    expect(await outcome(cache.verify(token))).toBe("ok agent");
    expect(counts.verified).toBe(1);
    clock.now = (T0 + 60) * 1000; // exp reached: never served from the cache
    expect(await outcome(cache.verify(token))).toBe("401 invalid bearer token: token expired; mint a new one");
    expect(counts.verified).toBe(2);
    expect(cache.size).toBe(0);
  });

  test.each([
    { label: "bad signature", token: async () => `${(await mint(60)).token.slice(0, -4)}AAAA` },
    { label: "not a JWT", token: async () => "nonsense" },
  ])("a refused token ($label) is not cached: each use is verified and refused", async ({ token }) => {
    const t = await token();
    const { cache, counts } = cacheAt(T0 + 1);
    for (let i = 0; i < 3; i++) expect(await outcome(cache.verify(t))).toMatch(/^401 invalid bearer token/);
    expect(counts.verified).toBe(3);
    expect(cache.size).toBe(0);
  });

  test("callers get copies: changing one does not change what the cache serves", async () => {
    const { token } = await mint(60);
    const { cache } = cacheAt(T0 + 1);
    const first = await cache.verify(token);
    first.roles.push("admin");
    first.tenant = "other";
    expect(await cache.verify(token)).toMatchObject({ tenant: "acme", roles: ["agent"] });
  });

  test("forget(jti) drops the token: the next use is verified again", async () => {
    const { token, jti } = await mint(60);
    const { cache, counts } = cacheAt(T0 + 1);
    await cache.verify(token);
    cache.forget(jti);
    await cache.verify(token);
    expect(counts.verified).toBe(2);
  });
});

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

describe.each(stores)("a cached token revoked on another replica (%s)", (_label, makeKv) => {
  test("is refused at once on this replica, and dropped from its cache", async () => {
    const [kvA, kvB] = makeKv();
    closers.push(() => kvA.close(), () => kvB.close());
    const revoked = new Set<string>();
    const db = { isRevoked: async (jti: string) => revoked.has(jti), tenantExists: async () => true };
    const a = new TokenGuard({ kv: kvA, ...db });
    const b = new TokenGuard({ kv: kvB, ...db, cacheMs: 60_000 });
    closers.push(() => a.close(), () => b.close());
    expect(await a.listen()).toBe(true);
    expect(await b.listen()).toBe(true);
    const { cache, counts } = cacheAt(T0 + 1);
    b.onRevoked((jti) => cache.forget(jti));
    // What principalFromBearer does on every use: the cached verification, then the guard.
    const use = (token: string) => outcome(cache.verify(token).then(async (p) => (await b.check(p), p)));

    const { token, jti } = await mint(3600);
    expect(await use(token)).toBe("ok agent");
    expect(await use(token)).toBe("ok agent");
    expect(cache.size).toBe(1);

    revoked.add(jti);
    await a.revoke(jti);
    await expect.poll(() => use(token)).toBe("401 invalid bearer token: token revoked");
    // Dropped on the message (verified once more afterwards), while the guard refuses every use.
    expect(counts.verified).toBe(2);
    expect(await use(token)).toBe("401 invalid bearer token: token revoked");
  });
});
