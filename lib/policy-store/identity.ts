import { digest, sha256Hex } from "@/lib/canonical";
import type { Policy } from "@/lib/policy";

const BOM = "\uFEFF";

/** The text as stored and signed-over, without a leading byte-order mark. */
export function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/**
 * A policy's identity everywhere (validate, simulate, diff, apply, the versions table, the audit
 * log): SHA-256 of the exact UTF-8 bytes that are signed, a leading BOM stripped. Two files that
 * differ only in comments have different hashes, as their signatures differ.
 */
export function policyHash(text: string): string {
  return sha256Hex(withoutBom(text));
}

/** Identity of the parsed policy (comments and layout do not change it): not the policy's `hash`. */
export function semanticHash(policy: Policy): string {
  return digest(policy);
}
