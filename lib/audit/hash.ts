import * as crypto from "node:crypto";
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { canonicalJson, sha256Hex } from "@/lib/canonical";
import type { AuditRecordView, CheckpointView } from "./schemas";

/**
 * What a record's hash covers: every field but the hash itself, seq as a decimal string, ts as
 * ISO-8601 UTC with milliseconds, absent values as null. hash = SHA-256(canonicalJson(payload)).
 */
export function hashPayload(r: Omit<AuditRecordView, "hash">): Record<string, unknown> {
  return {
    v: 1,
    tenant: r.tenant,
    seq: String(r.seq),
    prev_hash: r.prev_hash,
    kind: r.kind,
    ts: r.ts,
    trace_id: r.trace_id ?? null,
    subject: r.subject ?? null,
    tool: r.tool ?? null,
    args_digest: r.args_digest ?? null,
    args: r.args ?? null,
    decision: r.decision ?? null,
    rule: r.rule ?? null,
    reason: r.reason ?? null,
    policy_version: r.policy_version ?? null,
    approval_id: r.approval_id ?? null,
    latency_ms: r.latency_ms ?? null,
    upstream_outcome: r.upstream_outcome ?? null,
    data: r.data ?? null,
  };
}

/**
 * The canonical JSON of hashPayload(r), i.e. canonicalJson(hashPayload(r)), built directly:
 * verification hashes every record, so this runs hundreds of thousands of times a second.
 * verify.test.ts proves the equality (property test). The fast form is one native
 * JSON.stringify of an object whose keys are in canonical order; values it cannot vouch for
 * (see canonTree) take the definition's path.
 */
export function recordCanonicalJson(r: Omit<AuditRecordView, "hash">): string {
  return fastRecordCanonicalJson(r) ?? slowRecordCanonicalJson(r);
}

/**
 * Plain JSON trees → the tree itself, or a copy with keys in canonical order, whose
 * JSON.stringify is its canonicalJson; undefined for anything the two could treat differently
 * (non-finite numbers, bigints, Dates and other class instances, integer-like or __proto__ keys,
 * sparse arrays, functions): the caller then takes canonicalJson itself.
 *
 * Self-contained (no imports, no other module state).
 */
function canonTree(v: unknown): unknown {
  if (v === null) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return Number.isFinite(v) ? v : undefined; // JSON.stringify(-0) is "0", as canonicalJson
    case "object": {
      if (Array.isArray(v)) {
        let out: unknown[] | null = null;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (x === undefined) {
            if (!(i in v)) return undefined; // a hole
            continue; // both write null
          }
          const c = canonTree(x);
          if (c === undefined) return undefined;
          if (c !== x) (out ??= v.slice())[i] = c;
        }
        return out ?? v;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined; // Dates, class instances, toJSON…
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      let sorted = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        // JS engines enumerate integer-like keys first whatever their order; __proto__ cannot be assigned.
        const c0 = k.charCodeAt(0);
        if (k === "__proto__" || (c0 >= 48 && c0 <= 57 && /^(?:0|[1-9][0-9]*)$/.test(k))) return undefined;
        if (i > 0 && keys[i - 1] > k) sorted = false;
      }
      if (!sorted) keys.sort(); // UTF-16 code unit order, as canonicalJson
      let out: Record<string, unknown> | null = sorted ? null : {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const x = o[k];
        const c = x === undefined ? undefined : canonTree(x);
        if (x !== undefined && c === undefined) return undefined;
        if (!out && c !== x) {
          // First member that differs (dropped or rebuilt): copy the unchanged ones before it.
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]] = o[keys[j]];
        }
        if (out && c !== undefined) out[k] = c;
      }
      return out ?? v;
    }
    default:
      return undefined; // bigint, function, symbol, undefined
  }
}

/** A scalar canonicalJson writes as JSON.stringify does: a string, a finite number, a boolean, null. */
function canonScalar(v: unknown): boolean {
  if (v === null) return true;
  const t = typeof v;
  return t === "string" || t === "boolean" || (t === "number" && Number.isFinite(v as number));
}

/**
 * canonicalJson(hashPayload(r)) in one JSON.stringify call, or null when a value is outside what
 * that shortcut provably handles the same way (then the caller takes the definition's path).
 * Uses only canonTree and canonScalar (self-contained: no imports, no other module state).
 */
export function fastRecordCanonicalJson(r: Omit<AuditRecordView, "hash">): string | null {
  const args = r.args === undefined || r.args === null ? null : canonTree(r.args);
  const data = r.data === undefined || r.data === null ? null : canonTree(r.data);
  if (args === undefined || data === undefined) return null;
  const p = {
    approval_id: r.approval_id ?? null,
    args,
    args_digest: r.args_digest ?? null,
    data,
    decision: r.decision ?? null,
    kind: r.kind,
    latency_ms: r.latency_ms ?? null,
    policy_version: r.policy_version ?? null,
    prev_hash: r.prev_hash,
    reason: r.reason ?? null,
    rule: r.rule ?? null,
    seq: String(r.seq),
    subject: r.subject ?? null,
    tenant: r.tenant,
    tool: r.tool ?? null,
    trace_id: r.trace_id ?? null,
    ts: r.ts,
    upstream_outcome: r.upstream_outcome ?? null,
    v: 1,
  };
  if (
    !canonScalar(p.approval_id) || !canonScalar(p.args_digest) || !canonScalar(p.decision) || !canonScalar(p.kind) ||
    !canonScalar(p.latency_ms) || !canonScalar(p.policy_version) || !canonScalar(p.prev_hash) || !canonScalar(p.reason) ||
    !canonScalar(p.rule) || !canonScalar(p.subject) || !canonScalar(p.tenant) || !canonScalar(p.tool) || !canonScalar(p.trace_id) ||
    !canonScalar(p.ts) || !canonScalar(p.upstream_outcome)
  ) {
    return null;
  }
  return JSON.stringify(p);
}

/** The definition itself, for the values the fast form declines. */
function slowRecordCanonicalJson(r: Omit<AuditRecordView, "hash">): string {
  return canonicalJson(hashPayload(r));
}

// One-shot hashing (Node ≥ 20.12) avoids a Hash object per record; createHash elsewhere.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: "hex") => string }).hash;

export function sha256HexOf(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : createHash("sha256").update(text).digest("hex");
}

export function recordHash(r: Omit<AuditRecordView, "hash">): string {
  return sha256HexOf(recordCanonicalJson(r));
}

/** canonicalJson(v), by one JSON.stringify when canonTree vouches for v (else the definition). */
export function canonicalJsonOf(v: unknown): string {
  const t = v === undefined ? null : canonTree(v);
  return t === undefined ? canonicalJson(v) : JSON.stringify(t);
}

/** digest(v) of lib/canonical (SHA-256 hex of its canonical JSON), computed faster. */
export function fastDigest(v: unknown): string {
  return sha256HexOf(canonicalJsonOf(v));
}

// ---- checkpoints: Ed25519 over the canonical JSON of {tenant, seq, hash, at, key_id} ----

type KeyInput = string | KeyObject;

const keyCache = new Map<string, KeyObject>();

function publicKeyOf(k: KeyInput): KeyObject {
  if (typeof k !== "string") return k.type === "private" ? createPublicKey(k) : k;
  let hit = keyCache.get(k);
  if (!hit) {
    hit = k.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(k)) : createPublicKey(k);
    keyCache.set(k, hit);
  }
  return hit;
}

function privateKeyOf(k: KeyInput): KeyObject {
  if (typeof k !== "string") return k;
  let hit = keyCache.get(k);
  if (!hit) {
    hit = createPrivateKey(k);
    keyCache.set(k, hit);
  }
  return hit;
}

/** A short, stable name of a public key: the first 16 hex digits of SHA-256 of its DER (SPKI). */
export function keyId(publicKey: KeyInput): string {
  const der = publicKeyOf(publicKey).export({ format: "der", type: "spki" });
  return sha256Hex(new Uint8Array(der)).slice(0, 16);
}

export function checkpointPayload(c: Omit<CheckpointView, "signature">): string {
  return canonicalJson({ type: "canopyiq.audit.checkpoint", tenant: c.tenant, seq: String(c.seq), hash: c.hash, at: c.at, key_id: c.key_id });
}

export function signCheckpoint(c: Omit<CheckpointView, "signature" | "key_id">, privateKeyPem: KeyInput): CheckpointView {
  const priv = privateKeyOf(privateKeyPem);
  const withKey = { ...c, key_id: keyId(priv) };
  const signature = sign(null, Buffer.from(checkpointPayload(withKey)), priv).toString("base64");
  return { ...withKey, signature };
}

export function checkpointSignatureValid(c: CheckpointView, publicKey: KeyInput): boolean {
  try {
    return verify(null, Buffer.from(checkpointPayload(c)), publicKeyOf(publicKey), Buffer.from(c.signature, "base64"));
  } catch {
    return false;
  }
}
