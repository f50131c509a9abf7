/** HMAC-SHA256 for approval decision signatures (seed 003), hex-encoded, compared in constant time. */
import { createHmac, timingSafeEqual } from "node:crypto";

export function hmacSha256Hex(secret: string | Uint8Array, message: string | Uint8Array): string {
  return createHmac("sha256", secret).update(message).digest("hex");
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
