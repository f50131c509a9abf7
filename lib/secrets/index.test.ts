import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseEnv } from "@/lib/env";
import { loadSecrets, pairFromEnv, publicKeyList } from "./index";

const pem = (type: "ed25519" | "ec") => {
  const { privateKey, publicKey } = type === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
};
const a = pem("ed25519");
const b = pem("ed25519");
const body = (p: string) => p.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");

describe("pairFromEnv: keys replicas share through the environment", () => {
  test.each([
    ["a PEM private key alone: the public key is derived", a.privateKeyPem, undefined],
    ["the base64 body of the PEM (one env line, as the Helm chart's Secret may hold it)", body(a.privateKeyPem), undefined],
    ["the pair, matching", a.privateKeyPem, a.publicKeyPem],
    ["the pair as base64 bodies", body(a.privateKeyPem), body(a.publicKeyPem)],
  ])("%s", (_label, priv, pub) => {
    expect(pairFromEnv(priv, pub, "CANOPY_JWT").publicKeyPem).toBe(a.publicKeyPem);
  });

  test.each([
    ["a public key of another pair", a.privateKeyPem, b.publicKeyPem, /CANOPY_JWT_PUBLIC_KEY does not belong to CANOPY_JWT_PRIVATE_KEY/],
    ["a P-256 key", pem("ec").privateKeyPem, undefined, /must be an Ed25519 key, got ec/],
    ["not a key at all", "bm90IGEga2V5", undefined, /CANOPY_JWT_PRIVATE_KEY is not a PEM/],
  ])("refuses %s", (_label, priv, pub, message) => {
    expect(() => pairFromEnv(priv, pub, "CANOPY_JWT")).toThrow(message);
  });
});

describe("loadSecrets", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "canopy-secrets-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("keys from the environment win over the generated file, public keys derived", () => {
    const generated = loadSecrets(parseEnv({ CANOPY_DATA_DIR: dir }));
    const env = parseEnv({ CANOPY_DATA_DIR: dir, CANOPY_JWT_PRIVATE_KEY: a.privateKeyPem, CANOPY_AUDIT_PRIVATE_KEY: body(b.privateKeyPem), HMAC_SECRET: "h".repeat(32), NEXTAUTH_SECRET: "n".repeat(32) });
    const shared = loadSecrets(env);
    expect(shared).toMatchObject({ jwtPublicKeyPem: a.publicKeyPem, auditPublicKeyPem: b.publicKeyPem, hmacSecret: "h".repeat(32), nextauthSecret: "n".repeat(32) });
    expect(shared.jwtPrivateKeyPem).not.toBe(generated.jwtPrivateKeyPem);
    // Without the environment, the same data folder gives the same generated keys back.
    expect(loadSecrets(parseEnv({ CANOPY_DATA_DIR: dir }))).toEqual(generated);
  });
});

describe("publicKeyList: earlier public keys accepted for verification (rotation)", () => {
  test.each([
    ["unset", undefined, []],
    ["one PEM", a.publicKeyPem, [a.publicKeyPem]],
    ["two base64 bodies, comma-separated, with spaces", ` ${body(a.publicKeyPem)} , ${body(b.publicKeyPem)} `, [a.publicKeyPem, b.publicKeyPem]],
  ])("%s", (_label, value, expected) => {
    expect(publicKeyList(value, "CANOPY_JWT_PREVIOUS_PUBLIC_KEYS")).toEqual(expected);
  });

  test.each([
    ["garbage in second place", `${body(a.publicKeyPem)},bm9wZQ==`, /CANOPY_JWT_PREVIOUS_PUBLIC_KEYS: key 2 is not an Ed25519 public key/],
    ["a P-256 key", pem("ec").publicKeyPem, /key 1 is not an Ed25519 public key .*ec key, not Ed25519/],
  ])("refuses %s", (_label, value, message) => {
    expect(() => publicKeyList(value, "CANOPY_JWT_PREVIOUS_PUBLIC_KEYS")).toThrow(message);
  });
});
