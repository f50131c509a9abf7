import { hmacSha256, hmacSha256Hex } from "@/lib/signing/hmac";
import { canonicalJson } from "@/lib/canonical";
import { DEFAULT_REDACT_KEYS, isSensitiveKey, type KeyRules, parseRedactKeys } from "./redact-keys";
import { BUILTIN_VALUE_PATTERNS, findSecretSpans, mergeSpans, parseValuePatterns, type Span, type ValuePattern } from "./redact-values";

/**
 * Redaction before anything is stored or shown, in two ways:
 *
 * - by key: the value under a sensitive key (redact-keys.ts, AUDIT_REDACT_KEYS) becomes
 *   `{"redacted":true,"hmac":"<hex>"}`;
 * - by value: a secret recognised by its shape inside any string (redact-values.ts: URL
 *   passwords, bearer tokens, PEM private keys, JWTs, cloud and SaaS tokens, `password=…`
 *   assignments, AUDIT_REDACT_VALUE_PATTERNS) is replaced in place by `[redacted:<kind>:<hmac12>]`.
 *
 * The HMAC is HMAC-SHA256 of the secret's canonical JSON under a per-tenant key, so equal secrets
 * correlate within a tenant (as Vault's audit log does; a marker carries the first 12 hex digits
 * of the same HMAC a key-redacted value shows in full) without being recoverable, and never
 * correlate across tenants.
 *
 * A scope redacts one record or one answer: a secret it has seen (under a sensitive key, or by
 * its shape) is also masked wherever it is echoed elsewhere in that record, e.g. in a policy
 * trace, a summary or a reason an agent wrote. Echoes are searched for secrets of at least
 * ECHO_MIN_CHARS characters (shorter ones would mask ordinary words).
 */
export interface RedactedValue {
  redacted: true;
  hmac: string;
}

export { DEFAULT_REDACT_KEYS, isSensitiveKey, parseRedactKeys, type KeyRules } from "./redact-keys";
export { BUILTIN_VALUE_PATTERNS, parseValuePatterns, type ValuePattern } from "./redact-values";

export interface RedactionConfig {
  keys: KeyRules;
  /** Built-in value patterns first, then the configured ones. */
  values: readonly ValuePattern[];
}

/** AUDIT_REDACT_KEYS and AUDIT_REDACT_VALUE_PATTERNS → the configuration (throws on bad syntax). */
export function redactionConfig(keys: string = DEFAULT_REDACT_KEYS, valuePatterns?: string): RedactionConfig {
  return { keys: parseRedactKeys(keys), values: [...BUILTIN_VALUE_PATTERNS, ...parseValuePatterns(valuePatterns)] };
}

export const ECHO_MIN_CHARS = 6;
const ECHO_MAX_CHARS = 4096;
const ECHO_MAX_SECRETS = 256;
/** Deeper than this, a subtree is masked whole (fail closed: it was not inspected). */
export const MAX_REDACT_DEPTH = 64;
const MARKER_HEX = 12;

/** The tenant's redaction key, derived from the server secret (rotating the secret starts new correlations). */
export function tenantRedactionKey(serverSecret: string, tenant: string): Buffer {
  return hmacSha256(serverSecret, `canopyiq/audit-redaction/v1\u0000${tenant}`);
}

export function redactionHmac(key: Buffer, value: unknown): string {
  return hmacSha256Hex(key, canonicalJson(value));
}

/** The in-string marker for a secret: its kind and the first 12 hex digits of its HMAC. */
export function redactionMarker(key: Buffer, kind: string, secret: string): string {
  return `[redacted:${kind}:${redactionHmac(key, secret).slice(0, MARKER_HEX)}]`;
}

/** One record's (or one answer's) redaction in one tenant; see the module comment. */
export class RedactionScope {
  /** Secret text → its kind and (once needed) its marker, for echoes. */
  private readonly known = new Map<string, { kind: string; marker?: string }>();
  /** Objects already searched for secrets (remember() before value() need not walk twice). */
  private readonly collected = new WeakSet<object>();
  private readonly sensitive: (key: string) => boolean;

  constructor(
    private readonly key: Buffer,
    private readonly config: RedactionConfig,
  ) {
    this.sensitive = (k) => isSensitiveKey(k, config.keys);
  }

  private learn(secret: string, kind: string) {
    if (secret.length < ECHO_MIN_CHARS || secret.length > ECHO_MAX_CHARS || this.known.size >= ECHO_MAX_SECRETS || this.known.has(secret)) return;
    this.known.set(secret, { kind });
  }

  private markerOf(secret: string, kind: string): string {
    const k = this.known.get(secret);
    if (!k) {
      this.learn(secret, kind);
      return redactionMarker(this.key, kind, secret);
    }
    return (k.marker ??= redactionMarker(this.key, k.kind, secret));
  }

  /** Leaves of a value under a sensitive key become known secrets. */
  private learnLeaves(v: unknown, depth: number) {
    if (typeof v === "string") this.learn(v, "secret");
    else if (typeof v === "number" || typeof v === "bigint") this.learn(String(v), "secret");
    else if (v !== null && typeof v === "object" && depth < MAX_REDACT_DEPTH) {
      for (const x of Array.isArray(v) ? v : Object.values(v)) this.learnLeaves(x, depth + 1);
    }
  }

  private collect(v: unknown, depth: number) {
    if (v === null || typeof v !== "object" || depth >= MAX_REDACT_DEPTH || v instanceof Date) return;
    if (Array.isArray(v)) {
      for (const x of v) this.collect(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (this.sensitive(k)) this.learnLeaves(x, depth + 1);
      else this.collect(x, depth + 1);
    }
  }

  /**
   * Learns the secrets under sensitive keys of these values without redacting them: call it with
   * every part of a record first, so an echo is masked even when it comes before its source.
   */
  remember(...values: unknown[]): this {
    for (const v of values) {
      this.collect(v, 0);
      if (v !== null && typeof v === "object") this.collected.add(v);
    }
    return this;
  }

  /** A string with every secret span (by shape, or an echo of a known secret) replaced by its marker. */
  text(s: string): string;
  text(s: string | null | undefined): string | null;
  text(s: string | null | undefined): string | null {
    if (s === null || s === undefined) return null;
    const spans: Span[] = findSecretSpans(s, this.config.values, this.sensitive);
    for (const [secret] of this.known) {
      for (let at = s.indexOf(secret); at !== -1; at = s.indexOf(secret, at + secret.length)) spans.push({ start: at, end: at + secret.length, kind: "" });
    }
    if (spans.length === 0) return s;
    let out = "";
    let pos = 0;
    for (const sp of mergeSpans(spans)) {
      out += s.slice(pos, sp.start) + this.markerOf(s.slice(sp.start, sp.end), sp.kind || "secret");
      pos = sp.end;
    }
    return out + s.slice(pos);
  }

  private walk(v: unknown, depth: number): unknown {
    if (typeof v === "string") return this.text(v);
    if (v === null || typeof v !== "object" || v instanceof Date) return v;
    if (depth >= MAX_REDACT_DEPTH) return { redacted: true, hmac: null, reason: `nested deeper than ${MAX_REDACT_DEPTH} levels: not inspected, not shown` };
    if (Array.isArray(v)) return v.map((x) => this.walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      out[k] = this.sensitive(k) ? ({ redacted: true, hmac: redactionHmac(this.key, x) } satisfies RedactedValue) : this.walk(x, depth + 1);
    }
    return out;
  }

  /** A redacted deep copy (the input is not modified); learns the value's own secrets first. */
  value(v: unknown): unknown {
    if (v !== null && typeof v === "object" && !this.collected.has(v)) this.collect(v, 0);
    return this.walk(v, 0);
  }
}

/** Redaction for every tenant of one server: the secret and the configuration, with per-tenant keys cached. */
export class Redactor {
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly serverSecret: string,
    readonly config: RedactionConfig = redactionConfig(),
  ) {}

  tenantKey(tenant: string): Buffer {
    let k = this.keys.get(tenant);
    if (!k) {
      k = tenantRedactionKey(this.serverSecret, tenant);
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(tenant, k);
    }
    return k;
  }

  /** A fresh scope for one record or answer in `tenant`. */
  scope(tenant: string): RedactionScope {
    return new RedactionScope(this.tenantKey(tenant), this.config);
  }
}

/** Redacts one value on its own (keys and value patterns) with a tenant key. */
export function redact(value: unknown, config: RedactionConfig, key: Buffer): unknown {
  return new RedactionScope(key, config).value(value);
}
