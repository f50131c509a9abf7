/**
 * The one HMAC-SHA256 of the code base: approval decision signatures (seed 003), Slack request
 * signatures, audit redaction keys and markers; hex-encoded, compared in constant time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The raw HMAC-SHA256 (key derivation: per-tenant redaction keys). */
export function hmacSha256(secret: string | Uint8Array, message: string | Uint8Array): Buffer {
  return createHmac("sha256", secret).update(message).digest();
}

export function hmacSha256Hex(secret: string | Uint8Array, message: string | Uint8Array): string {
  return hmacSha256(secret, message).toString("hex");
}

/** True when `signatureHex` is the HMAC of `message`; never leaks where a mismatch starts. */
export function hmacVerifyHex(secret: string | Uint8Array, message: string | Uint8Array, signatureHex: unknown): boolean {
  if (typeof signatureHex !== "string" || !/^[0-9a-fA-F]{64}$/.test(signatureHex)) return false;
  const expected = Buffer.from(hmacSha256Hex(secret, message), "hex");
  return timingSafeEqual(expected, Buffer.from(signatureHex, "hex"));
}

/** Constant-time equality of two strings (e.g. tokens); unequal lengths fail without comparing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
