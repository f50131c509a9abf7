import { createHmac } from "node:crypto";
import { canonicalJson } from "@/lib/canonical";

/**
 * Redaction before anything is stored or hashed: values under sensitive keys are replaced by
 * `{"redacted":true,"hmac":"<hex>"}`, an HMAC-SHA256 of the value's canonical JSON under a
 * per-tenant key, so equal secrets still correlate within a tenant (as Vault's audit log does)
 * without being recoverable, and never correlate across tenants.
 */
export interface RedactedValue {
  redacted: true;
  hmac: string;
}

/** The default of AUDIT_REDACT_KEYS, for callers without configuration (tests, tools). */
export const DEFAULT_REDACT_KEYS = "password,passwd,token,secret,authorization,api_key,private_key,cookie,credential";

/** Normalizes a key for matching: lower case, without `_`, `-` and spaces (apiKey ≈ api_key). */
function norm(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

export function parseRedactKeys(csv: string): string[] {
  return csv.split(",").map((k) => norm(k.trim())).filter(Boolean);
}

/** A key is sensitive when its normalized form contains one of the normalized patterns. */
export function isSensitiveKey(key: string, patterns: readonly string[]): boolean {
  const k = norm(key);
  return patterns.some((p) => k.includes(p));
}

/** The tenant's redaction key, derived from the server secret (rotating the secret starts new correlations). */
export function tenantRedactionKey(serverSecret: string, tenant: string): Buffer {
  return createHmac("sha256", serverSecret).update(`canopyiq/audit-redaction/v1\u0000${tenant}`).digest();
}

export function redactionHmac(key: Buffer, value: unknown): string {
  return createHmac("sha256", key).update(canonicalJson(value)).digest("hex");
}

/** Returns a redacted deep copy (the input is not modified). */
export function redact(value: unknown, patterns: readonly string[], key: Buffer): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, patterns, key));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = isSensitiveKey(k, patterns) ? ({ redacted: true, hmac: redactionHmac(key, v) } satisfies RedactedValue) : redact(v, patterns, key);
  }
  return out;
}
