import { generateKeyPairSync } from "node:crypto";
import type { Db } from "@/lib/db/client";
import { AuditLog, type AuditLogOptions } from "./log";
import { redactionConfig } from "./redact";

/** For tests, the benchmark and the multi-process writer: a throwaway audit key pair. */
export function testKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

export const TEST_REDACTION_SECRET = "test-redaction-secret-0123456789";

export function makeAuditLog(db: Db, keys = testKeys(), overrides: Partial<AuditLogOptions> = {}): AuditLog {
  return new AuditLog({
    db,
    ...keys,
    redactionSecret: TEST_REDACTION_SECRET,
    redaction: redactionConfig(),
    checkpointEvery: 1000,
    checkpointSeconds: 3600,
    timeoutMs: 5000,
    ...overrides,
  });
}
