import { hmacSha256Hex, hmacVerifyHex } from "@/lib/signing/hmac";
import type { VoteDecision } from "./state-machine";

/**
 * Seed 003's decision signature: HMAC-SHA256(HMAC_SECRET, "{id}:{decision}:{approver}:{expires_at_iso}"), hex.
 *
 * The canonical expires_at_iso is the exact string the API returns in `expires_at`: UTC, whole
 * seconds, `Z` suffix — `2025-10-17T11:30:00Z` (expiries are truncated to whole seconds when an
 * approval is created so this form round-trips). Seed 003's own Python recipe signs
 * `datetime.isoformat()`, which spells the same instant `2025-10-17T11:30:00+00:00`: verification
 * accepts both spellings of that one instant (never another instant), and the server signs `Z`.
 */
export function isoSeconds(at: Date | number): string {
  return new Date(typeof at === "number" ? at : at.getTime()).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function signatureMessage(id: string, decision: VoteDecision, approver: string, expiresAt: Date | number): string {
  return `${id}:${decision}:${approver}:${isoSeconds(expiresAt)}`;
}

export function signDecision(secret: string, id: string, decision: VoteDecision, approver: string, expiresAt: Date | number): string {
  return hmacSha256Hex(secret, signatureMessage(id, decision, approver, expiresAt));
}

/** The expiry as Python's `isoformat()` writes a UTC instant: `…+00:00`. */
export function isoSecondsOffset(at: Date | number): string {
  return isoSeconds(at).replace(/Z$/, "+00:00");
}

/** Constant-time; false for anything that is not 64 hex digits. Both spellings are always checked. */
export function verifyDecision(secret: string, id: string, decision: VoteDecision, approver: string, expiresAt: Date | number, signature: unknown): boolean {
  const z = hmacVerifyHex(secret, signatureMessage(id, decision, approver, expiresAt), signature);
  const offset = hmacVerifyHex(secret, `${id}:${decision}:${approver}:${isoSecondsOffset(expiresAt)}`, signature);
  return z || offset;
}
