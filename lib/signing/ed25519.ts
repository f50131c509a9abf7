/**
 * Ed25519 policy-bundle signatures (seed 000). Keys travel as base64 of their DER encoding
 * (SPKI for the public key, PKCS#8 for the private one) so the public key file's content is
 * itself a valid POLICY_PUBLIC_KEY_B64; PEM and raw 32-byte keys are accepted too.
 * A signature is the base64 of 64 bytes over the exact file bytes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";

export const SIGNATURE_BYTES = 64;
// DER prefixes that wrap a raw 32-byte Ed25519 key into SPKI / PKCS#8.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface KeyPairB64 {
  /** base64(DER SPKI) — the content of canopyiq_policy_public.key and POLICY_PUBLIC_KEY_B64. */
  publicKey: string;
  /** base64(DER PKCS#8) — the content of canopyiq_policy_private.key. */
  privateKey: string;
}

export type VerifyFailure =
  | "missing_signature"
  | "malformed_signature"
  | "truncated_signature"
  | "bad_signature"
  | "invalid_public_key";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; message: string };

export class KeyFormatError extends Error {}

export function generateKeyPair(): KeyPairB64 {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    privateKey: privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
  };
}

const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeKeyText(text: string | Uint8Array): { pem: string } | { der: Buffer } {
  const s = (typeof text === "string" ? text : Buffer.from(text).toString("utf8")).trim();
  if (s.startsWith("-----BEGIN")) return { pem: s };
  const compact = s.replace(/\s+/g, "");
  if (!B64_RE.test(compact) || compact.length % 4 !== 0) throw new KeyFormatError("key is neither PEM nor base64");
  return { der: Buffer.from(compact, "base64") };
}

export function parsePublicKey(key: string | Uint8Array | KeyObject): KeyObject {
  if (typeof key === "object" && "asymmetricKeyType" in key) return checkType(key);
  const d = decodeKeyText(key as string | Uint8Array);
  try {
    if ("pem" in d) return checkType(createPublicKey(d.pem));
    const der = d.der.length === 32 ? Buffer.concat([SPKI_PREFIX, d.der]) : d.der;
    return checkType(createPublicKey({ key: der, format: "der", type: "spki" }));
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`not an Ed25519 public key: ${(e as Error).message}`);
  }
}

export function parsePrivateKey(key: string | Uint8Array | KeyObject): KeyObject {
  if (typeof key === "object" && "asymmetricKeyType" in key) return checkType(key);
  const d = decodeKeyText(key as string | Uint8Array);
  try {
    if ("pem" in d) return checkType(createPrivateKey(d.pem));
    const der = d.der.length === 32 ? Buffer.concat([PKCS8_PREFIX, d.der]) : d.der;
    return checkType(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`not an Ed25519 private key: ${(e as Error).message}`);
  }
}

function checkType(k: KeyObject): KeyObject {
  if (k.asymmetricKeyType !== "ed25519") throw new KeyFormatError(`expected an Ed25519 key, got ${k.asymmetricKeyType ?? k.type}`);
  return k;
}

function bytes(data: string | Uint8Array): Buffer {
  return typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Sign the exact bytes; returns base64 (88 characters). */
export function sign(data: string | Uint8Array, privateKey: string | Uint8Array | KeyObject): string {
  return edSign(null, bytes(data), parsePrivateKey(privateKey)).toString("base64");
}

/**
 * Verify a base64 signature over the exact bytes. Each failure has its own reason, so the
 * server can say whether the signature is missing, unreadable, cut short, or simply wrong.
 */
export function verify(
  data: string | Uint8Array,
  signature: string | Uint8Array | null | undefined,
  publicKey: string | Uint8Array | KeyObject,
): VerifyResult {
  let key: KeyObject;
  try {
    key = parsePublicKey(publicKey);
  } catch (e) {
    return { ok: false, reason: "invalid_public_key", message: (e as Error).message };
  }
  const text = signature === null || signature === undefined ? "" : typeof signature === "string" ? signature : Buffer.from(signature).toString("utf8");
  const s = text.trim();
  if (s === "") return { ok: false, reason: "missing_signature", message: "no signature: the policy is unsigned" };
  if (/^[0-9a-fA-F]+$/.test(s) && s.length === SIGNATURE_BYTES * 2)
    return { ok: false, reason: "malformed_signature", message: "signature is hex-encoded; expected base64" };
  if (!B64_RE.test(s) || s.length % 4 !== 0)
    return { ok: false, reason: "malformed_signature", message: "signature is not valid base64" };
  const raw = Buffer.from(s, "base64");
  if (raw.length < SIGNATURE_BYTES)
    return { ok: false, reason: "truncated_signature", message: `signature is ${raw.length} bytes; an Ed25519 signature is ${SIGNATURE_BYTES}` };
  if (raw.length > SIGNATURE_BYTES)
    return { ok: false, reason: "malformed_signature", message: `signature is ${raw.length} bytes; an Ed25519 signature is ${SIGNATURE_BYTES}` };
  let ok = false;
  try {
    ok = edVerify(null, bytes(data), key, raw);
  } catch {
    ok = false;
  }
  return ok
    ? { ok: true }
    : { ok: false, reason: "bad_signature", message: "signature does not match: the policy was modified or signed with another key" };
}
