import { generateKeyPairSync } from "node:crypto";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, test } from "vitest";
import { AppError } from "@/lib/errors";
import { mintToken, tokenKeyId, verifyToken } from "./tokens";

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    issuer: "canopyiq",
    audience: "canopyiq-api",
    privateKey,
  };
}
const k = keys();
const NOW = 1_800_000_000;
const base = { tenant: "demo-tenant", subject: "alice", roles: ["admin", "approver"], ttlSeconds: 7200, now: NOW };

async function refusal(token: string, verifyWith = k, now = NOW + 10): Promise<string> {
  try {
    await verifyToken(token, verifyWith, now);
    return "accepted";
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).status).toBe(401);
    return (e as AppError).message;
  }
}

describe("API tokens", () => {
  test("a minted token verifies to its tenant, subject and roles", async () => {
    const { token, expiresAt } = await mintToken(base, k);
    const p = await verifyToken(token, k, NOW + 10);
    expect(p).toMatchObject({ kind: "token", tenant: "demo-tenant", subject: "alice", roles: ["admin", "approver"] });
    expect(expiresAt.getTime()).toBe((NOW + 7200) * 1000);
  });

  test("expired → refused", async () => {
    const { token } = await mintToken(base, k);
    expect(await refusal(token, k, NOW + 7201)).toMatch(/expired/);
  });

  test("alg none → refused", async () => {
    const token = new UnsecuredJWT({ tenant: "demo-tenant", roles: ["admin"] })
      .setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("mallory").setJti("x").setExpirationTime(NOW + 100).encode();
    expect(await refusal(token)).toMatch(/invalid bearer token/);
  });

  test("another algorithm (HS256 with the public key as secret) → refused", async () => {
    const token = await new SignJWT({ tenant: "demo-tenant", roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("mallory").setJti("x").setExpirationTime(NOW + 100)
      .sign(new TextEncoder().encode(k.publicKeyPem));
    expect(await refusal(token)).toMatch(/algorithm not allowed/);
  });

  test("signed by another key → refused", async () => {
    const other = keys();
    const { token } = await mintToken(base, other);
    expect(await refusal(token)).toMatch(/signed by a key this server does not accept \(unknown kid\)/);
    // Without a kid, the signature itself is what fails.
    const bare = await new SignJWT({ tenant: "demo-tenant", roles: ["admin"] }).setProtectedHeader({ alg: "EdDSA" }).setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("x").setJti("j").setIssuedAt(NOW).setExpirationTime(NOW + 60).sign(other.privateKey);
    expect(await refusal(bare)).toMatch(/signature does not verify/);
  });

  test("a token names its signing key (kid: the key's SPKI SHA-256 prefix)", async () => {
    const { token } = await mintToken(base, k);
    const header = JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString());
    expect(header).toEqual({ alg: "EdDSA", typ: "JWT", kid: tokenKeyId(k.publicKeyPem) });
    expect(tokenKeyId(k.publicKeyPem)).toMatch(/^[0-9a-f]{16}$/);
  });

  test.each([
    ["audience", { audience: "someone-else" }, /claim aud/],
    ["issuer", { issuer: "evil" }, /claim iss/],
  ])("wrong %s → refused", async (_label, override, pattern) => {
    const { token } = await mintToken(base, { ...k, ...override });
    expect(await refusal(token)).toMatch(pattern);
  });

  test("missing tenant claim → refused", async () => {
    const token = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "EdDSA" })
      .setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("a").setJti("x").setIssuedAt(NOW).setExpirationTime(NOW + 100)
      .sign(k.privateKey);
    expect(await refusal(token)).toMatch(/missing tenant, roles or iat/);
  });

  test.each(["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30."])("garbage %j → refused", async (garbage) => {
    expect(await refusal(garbage)).toMatch(/invalid bearer token/);
  });

  test("a tampered payload (tenant switched) → refused", async () => {
    const { token } = await mintToken(base, k);
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    claims.tenant = "other-tenant";
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
    expect(await refusal(forged)).toMatch(/signature/);
  });

  test.each([
    [{ tenant: "Bad Tenant" }, /tenant must be a lowercase slug/],
    [{ roles: [] }, /at least one role/],
    [{ ttlSeconds: 0 }, /ttl must be at least 1 second/],
    [{ ttlSeconds: 1.5 }, /whole number of seconds/],
  ])("mint refuses bad input %j", async (override, pattern) => {
    await expect(mintToken({ ...base, ...override }, k)).rejects.toThrow(pattern);
  });
});

describe("maximum lifetime (CANOPY_TOKEN_MAX_TTL_SECONDS)", () => {
  const DAY = 86_400;
  test.each([
    ["exactly the maximum", 30 * DAY, 30 * DAY, true],
    ["one second over", 30 * DAY + 1, 30 * DAY, false],
    ["a year under a 30-day maximum", 365 * DAY, 30 * DAY, false],
    ["two hours under the default", 7200, undefined, true],
  ])("mint: %s", async (_label, ttlSeconds, max, ok) => {
    const minting = mintToken({ ...base, ttlSeconds }, k, max);
    if (ok) await expect(minting).resolves.toMatchObject({ token: expect.any(String) });
    else await expect(minting).rejects.toThrow(/ttl must be at most \d+ seconds \(CANOPY_TOKEN_MAX_TTL_SECONDS\)/);
  });

  test("the default maximum is 30 days", async () => {
    await expect(mintToken({ ...base, ttlSeconds: 30 * DAY + 1 }, k)).rejects.toThrow(/at most 2592000 seconds/);
  });

  test("verification refuses a token minted to live longer than the maximum, although it has not expired", async () => {
    // minted while the maximum was a year; the maximum is now 30 days
    const { token } = await mintToken({ ...base, ttlSeconds: 365 * DAY }, k, 366 * DAY);
    expect(await refusal(token, k, NOW + 10)).toBe(`invalid bearer token: it was minted to live ${365 * DAY} s, longer than the maximum of ${30 * DAY} s (CANOPY_TOKEN_MAX_TTL_SECONDS); mint a shorter-lived token`);
    await expect(verifyToken(token, k, NOW + 10, 366 * DAY)).resolves.toMatchObject({ tenant: "demo-tenant" });
    const { token: short } = await mintToken({ ...base, ttlSeconds: 30 * DAY }, k);
    await expect(verifyToken(short, k, NOW + 10)).resolves.toMatchObject({ subject: "alice" });
  });

  test("a token without iat (its lifetime unknown) is refused", async () => {
    const token = await new SignJWT({ tenant: "demo-tenant", roles: ["admin"] })
      .setProtectedHeader({ alg: "EdDSA" })
      .setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("a").setJti("x").setExpirationTime(NOW + 100)
      .sign(k.privateKey);
    expect(await refusal(token)).toMatch(/claim iat missing/);
  });
});

describe("key rotation: earlier keys keep verifying their tokens until they expire", () => {
  const old = keys();
  const current = keys();
  const rotated = { ...current, previousPublicKeyPems: [old.publicKeyPem] };
  const legacy = (signer: ReturnType<typeof keys>) =>
    new SignJWT({ tenant: "demo-tenant", roles: ["admin"] }).setProtectedHeader({ alg: "EdDSA", typ: "JWT" }).setIssuer("canopyiq").setAudience("canopyiq-api").setSubject("old").setJti("j1").setIssuedAt(NOW).setExpirationTime(NOW + 600).sign(signer.privateKey);

  test.each([
    ["a token of the old key, by kid, while the old key is listed", async () => (await mintToken(base, old)).token, rotated, "accepted"],
    ["a token of the new key", async () => (await mintToken(base, current)).token, rotated, "accepted"],
    ["a kid-less token of the old key (minted before kids), while the old key is listed", () => legacy(old), rotated, "accepted"],
    ["a token of the old key once it is no longer listed", async () => (await mintToken(base, old)).token, current, /unknown kid/],
    ["a kid-less token of the old key once it is no longer listed", () => legacy(old), current, /signature does not verify/],
  ])("%s", async (_label, make, verifyWith, expected) => {
    const token = await make();
    const answer = await refusal(token, verifyWith as typeof k);
    if (expected === "accepted") expect(answer).toBe("accepted");
    else expect(answer).toMatch(expected as RegExp);
  });

  test("a listed old key verifies nothing after its tokens expire", async () => {
    const { token } = await mintToken({ ...base, ttlSeconds: 60 }, old);
    expect(await refusal(token, rotated as typeof k, NOW + 61)).toMatch(/token expired/);
  });
});
