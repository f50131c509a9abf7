import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Env } from "@/lib/env";

/**
 * Server secrets. Each comes from the environment when set (required for several replicas),
 * else from `<CANOPY_DATA_DIR>/secrets.json`, generated on first start (mode 0600). Nothing
 * secret is ever committed.
 */
export interface Secrets {
  jwtPrivateKeyPem: string;
  jwtPublicKeyPem: string;
  nextauthSecret: string;
  hmacSecret: string;
  auditPrivateKeyPem: string;
  auditPublicKeyPem: string;
}

interface Stored extends Partial<Secrets> {
  createdAt?: string;
}

function ed25519Pair() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** Accepts PEM or the base64 body of a PEM (easier to pass in an env var). */
export function toPem(value: string, label: "PRIVATE KEY" | "PUBLIC KEY"): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("-----BEGIN")) return `${trimmed}\n`;
  const body = trimmed.replace(/\s+/g, "").match(/.{1,64}/g)?.join("\n") ?? "";
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

export function secretsFile(e: Pick<Env, "CANOPY_DATA_DIR">): string {
  return path.resolve(e.CANOPY_DATA_DIR, "secrets.json");
}

/** Reads (and on first start creates) the secrets; the composition root calls it once per process. */
export function loadSecrets(e: Env): Secrets {
  const file = secretsFile(e);
  const stored: Stored = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  if (!stored.jwtPrivateKeyPem || !stored.jwtPublicKeyPem) {
    const pair = ed25519Pair();
    stored.jwtPrivateKeyPem = pair.privateKeyPem;
    stored.jwtPublicKeyPem = pair.publicKeyPem;
    changed = true;
  }
  if (!stored.auditPrivateKeyPem || !stored.auditPublicKeyPem) {
    const pair = ed25519Pair();
    stored.auditPrivateKeyPem = pair.privateKeyPem;
    stored.auditPublicKeyPem = pair.publicKeyPem;
    changed = true;
  }
  for (const key of ["nextauthSecret", "hmacSecret"] as const) {
    if (!stored[key]) {
      stored[key] = randomBytes(32).toString("base64url");
      changed = true;
    }
  }
  if (changed) {
    stored.createdAt ??= new Date().toISOString();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    jwtPrivateKeyPem: e.CANOPY_JWT_PRIVATE_KEY ? toPem(e.CANOPY_JWT_PRIVATE_KEY, "PRIVATE KEY") : stored.jwtPrivateKeyPem!,
    jwtPublicKeyPem: e.CANOPY_JWT_PUBLIC_KEY ? toPem(e.CANOPY_JWT_PUBLIC_KEY, "PUBLIC KEY") : stored.jwtPublicKeyPem!,
    nextauthSecret: e.NEXTAUTH_SECRET ?? stored.nextauthSecret!,
    hmacSecret: e.HMAC_SECRET ?? stored.hmacSecret!,
    auditPrivateKeyPem: e.CANOPY_AUDIT_PRIVATE_KEY ? toPem(e.CANOPY_AUDIT_PRIVATE_KEY, "PRIVATE KEY") : stored.auditPrivateKeyPem!,
    auditPublicKeyPem: e.CANOPY_AUDIT_PUBLIC_KEY ? toPem(e.CANOPY_AUDIT_PUBLIC_KEY, "PUBLIC KEY") : stored.auditPublicKeyPem!,
  };
}
