import { hmacSha256Hex, hmacVerifyHex } from "@/lib/signing/hmac";
import type { VoteDecision } from "./state-machine";

/**
 * Seed 003's decision signature: HMAC-SHA256(HMAC_SECRET, "{id}:{decision}:{approver}:{expires_at_iso}"), hex.
 *
 * expires_at_iso is the exact string the API returns in `expires_at`: UTC, whole seconds, `Z`
 * suffix — `2025-10-17T11:30:00Z`. Expiries are truncated to whole seconds when an approval is
 * created so this form round-trips. (Seed 003 shows both `…Z` in responses and `…+00:00` in a
 * Python helper; we accept only the form we return, so a signature has one spelling.)
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

/** Constant-time; false for anything that is not 64 hex digits. */
export function verifyDecision(secret: string, id: string, decision: VoteDecision, approver: string, expiresAt: Date | number, signature: unknown): boolean {
  return hmacVerifyHex(secret, signatureMessage(id, decision, approver, expiresAt), signature);
}
