import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
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
  /** Earlier keys still accepted for verification only (key rotation). */
  jwtPreviousPublicKeyPems?: string[];
  auditPreviousPublicKeyPems?: string[];
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
  const jwt = e.CANOPY_JWT_PRIVATE_KEY ? pairFromEnv(e.CANOPY_JWT_PRIVATE_KEY, e.CANOPY_JWT_PUBLIC_KEY, "CANOPY_JWT") : null;
  const audit = e.CANOPY_AUDIT_PRIVATE_KEY ? pairFromEnv(e.CANOPY_AUDIT_PRIVATE_KEY, e.CANOPY_AUDIT_PUBLIC_KEY, "CANOPY_AUDIT") : null;
  return {
    jwtPrivateKeyPem: jwt?.privateKeyPem ?? stored.jwtPrivateKeyPem!,
    jwtPublicKeyPem: jwt?.publicKeyPem ?? stored.jwtPublicKeyPem!,
    nextauthSecret: e.NEXTAUTH_SECRET ?? stored.nextauthSecret!,
    hmacSecret: e.HMAC_SECRET ?? stored.hmacSecret!,
    auditPrivateKeyPem: audit?.privateKeyPem ?? stored.auditPrivateKeyPem!,
    auditPublicKeyPem: audit?.publicKeyPem ?? stored.auditPublicKeyPem!,
    jwtPreviousPublicKeyPems: publicKeyList(e.CANOPY_JWT_PREVIOUS_PUBLIC_KEYS, "CANOPY_JWT_PREVIOUS_PUBLIC_KEYS"),
    auditPreviousPublicKeyPems: publicKeyList(e.CANOPY_AUDIT_PREVIOUS_PUBLIC_KEYS, "CANOPY_AUDIT_PREVIOUS_PUBLIC_KEYS"),
  };
}

/** Comma-separated Ed25519 public keys (PEM or base64 body); a bad one stops the start, naming its place. */
export function publicKeyList(value: string | undefined, name: string): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v, i) => {
      try {
        const key = createPublicKey(toPem(v, "PUBLIC KEY"));
        if (key.asymmetricKeyType !== "ed25519") throw new Error(`an ${key.asymmetricKeyType} key, not Ed25519`);
        return key.export({ format: "pem", type: "spki" }).toString();
      } catch (err) {
        throw new Error(`${name}: key ${i + 1} is not an Ed25519 public key (PEM or base64 PEM body): ${(err as Error).message}`);
      }
    });
}

/**
 * An Ed25519 pair from the environment: the private key (PEM or its base64 body), and the public
 * key when given, else derived. A given public key must belong to the private key: a mismatch would
 * make every token or audit signature this replica produces unverifiable, so it stops the start.
 */
export function pairFromEnv(privateValue: string, publicValue: string | undefined, prefix: string): { privateKeyPem: string; publicKeyPem: string } {
  const privateKeyPem = toPem(privateValue, "PRIVATE KEY");
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new Error(`${prefix}_PRIVATE_KEY is not a PEM (or base64 PEM body) private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${prefix}_PRIVATE_KEY must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  const derived = createPublicKey(key).export({ format: "pem", type: "spki" }).toString();
  if (publicValue !== undefined) {
    const given = createPublicKey(toPem(publicValue, "PUBLIC KEY")).export({ format: "pem", type: "spki" }).toString();
    if (given !== derived) throw new Error(`${prefix}_PUBLIC_KEY does not belong to ${prefix}_PRIVATE_KEY: set the pair together, or only the private key`);
  }
  return { privateKeyPem, publicKeyPem: derived };
}
