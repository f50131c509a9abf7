import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { parseEnv } from "@/lib/env";
import { memoryKv } from "@/lib/redis";
import type { Secrets } from "@/lib/secrets";
import { createServices } from "@/lib/server/services";
import { bootstrap } from "./index";

// Two replicas on one database: the second one with other keys must refuse to start (issue 17:
// following a guide that lets each pod generate its own keys gives tokens one pod mints and the
// next refuses). Runs on the configured database (Postgres in CI) or the embedded one.
const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return [privateKey.export({ format: "pem", type: "pkcs8" }).toString(), publicKey.export({ format: "pem", type: "spki" }).toString()] as const;
};
const keys = (): Secrets => {
  const [jwtPrivateKeyPem, jwtPublicKeyPem] = pair();
  const [auditPrivateKeyPem, auditPublicKeyPem] = pair();
  return { jwtPrivateKeyPem, jwtPublicKeyPem, auditPrivateKeyPem, auditPublicKeyPem, hmacSecret: randomBytes(32).toString("hex"), nextauthSecret: randomBytes(32).toString("hex") };
};

let db: TestDb;
let dir: string;
beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "canopy-keys-"));
}, 120_000);
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(secrets: Secrets, extra: Record<string, string> = {}) {
  const env = parseEnv({ CANOPY_DATA_DIR: dir, LOG_LEVEL: "silent", CANOPY_ADMIN_PASSWORD: "keys-test-password-1", ...extra });
  const svc = createServices(env, { db, kv: memoryKv(), secrets });
  try {
    await bootstrap(svc);
  } finally {
    await svc.close();
  }
}

describe("replicas share their keys", () => {
  const deployment = keys();

  test("the first process records the deployment's keys; a replica with the same keys starts", async () => {
    await start(deployment);
    await start({ ...deployment });
  });

  test.each([
    ["its own token signing key", (k: Secrets) => ({ ...k, jwtPrivateKeyPem: keys().jwtPrivateKeyPem, jwtPublicKeyPem: keys().jwtPublicKeyPem }), /API token signing key \(CANOPY_JWT_PRIVATE_KEY\)/],
    ["its own audit key", (k: Secrets) => { const o = keys(); return { ...k, auditPrivateKeyPem: o.auditPrivateKeyPem, auditPublicKeyPem: o.auditPublicKeyPem }; }, /audit signing key/],
    ["its own HMAC_SECRET", (k: Secrets) => ({ ...k, hmacSecret: "another-hmac-secret-0123456789" }), /: HMAC_SECRET\./],
    ["its own NEXTAUTH_SECRET", (k: Secrets) => ({ ...k, nextauthSecret: "another-nextauth-secret-0123456789abc" }), /: NEXTAUTH_SECRET\./],
    ["every key generated anew", () => keys(), /CANOPY_JWT_PRIVATE_KEY.*CANOPY_AUDIT_PRIVATE_KEY.*HMAC_SECRET, NEXTAUTH_SECRET/],
  ])("a replica with %s refuses to start, saying what differs and how to fix it", async (_label, change, message) => {
    const err = await start(change(deployment)).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(message);
    expect(err?.message).toMatch(/Every replica must share them/);
    expect(err?.message).toMatch(/CANOPY_KEYS_ACCEPT_NEW=true/);
    // No secret appears in the message.
    expect(err?.message).not.toContain(deployment.hmacSecret);
  });

  test("CANOPY_KEYS_ACCEPT_NEW=true replaces the deployment's keys on purpose; then the old keys are the odd ones", async () => {
    const rotated = keys();
    await start(rotated, { CANOPY_KEYS_ACCEPT_NEW: "true" });
    await start(rotated);
    await expect(start(deployment)).rejects.toThrow(/keys differ/);
  });
});
