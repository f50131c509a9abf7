import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { isoSeconds } from "./signature";

/**
 * Seed 004's two-phase approval with codes, keeping N-of-M: each eligible approver can reveal a
 * personal code for one pending approval; whoever completes the approval with it (the agent, told
 * the code out of band) casts that approver's vote. The code is derived, not stored:
 * HMAC-SHA256(HMAC_SECRET, "approval-code:v1:{id}:{approver}:{expires_at}"), so it is bound to the
 * approval and the approver, dies with the approval's expiry, and revealing it twice shows the same
 * code (the inbox and the Slack message agree). It is single use because an approver votes once.
 */

/** Crockford's base32 without I, L, O, U: nothing to misread when a code is read out. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** 10 characters = 50 bits; with attempts throttled per approval, guessing is hopeless. */
export const CODE_LENGTH = 10;

/** Who a legacy global APPROVAL_CODE vote is recorded as (seed 004's legacy mode; see LEGACY_CODE_RULE). */
export const LEGACY_CODE_APPROVER = "legacy:APPROVAL_CODE";

export function approvalCode(secret: string, id: string, approver: string, expiresAt: Date): string {
  const mac = createHmac("sha256", secret).update(`approval-code:v1:${id}:${approver}:${isoSeconds(expiresAt)}`).digest();
  let bits = 0n;
  for (const b of mac.subarray(0, 7)) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < CODE_LENGTH; i++) out += ALPHABET[Number((bits >> BigInt(5 * (CODE_LENGTH - 1 - i))) & 31n)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** What a person may type: any case, spaces and dashes ignored, the look-alikes mapped as Crockford does. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time equality of two codes: their SHA-256 digests (equal lengths) through timingSafeEqual. */
export function sameCode(provided: string, expected: string): boolean {
  return timingSafeEqual(sha256(provided), sha256(expected));
}

/**
 * The approver whose code `provided` is, among those who revealed one; every candidate is compared
 * (no early exit), so the time taken says nothing about which one, or how close, matched.
 */
export function matchApprover(secret: string, id: string, expiresAt: Date, candidates: readonly string[], provided: string): string | null {
  const normalized = normalizeCode(provided);
  let match: string | null = null;
  for (const approver of candidates) {
    if (sameCode(normalized, normalizeCode(approvalCode(secret, id, approver, expiresAt))) && match === null) match = approver;
  }
  return match;
}
