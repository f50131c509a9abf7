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

/** The canonical JSON of hashPayload(r), i.e. canonicalJson(hashPayload(r)), built directly. */
export function recordCanonicalJson(r: Omit<AuditRecordView, "hash">): string {
  // Keys in canonical (sorted) order; hash.test.ts proves this equals canonicalJson(hashPayload(r)).
  return (
    `{"approval_id":${str(r.approval_id)},"args":${val(r.args)},"args_digest":${str(r.args_digest)},"data":${val(r.data)}` +
    `,"decision":${str(r.decision)},"kind":${str(r.kind)},"latency_ms":${num(r.latency_ms)},"policy_version":${num(r.policy_version)}` +
    `,"prev_hash":${str(r.prev_hash)},"reason":${str(r.reason)},"rule":${str(r.rule)},"seq":${JSON.stringify(String(r.seq))}` +
    `,"subject":${str(r.subject)},"tenant":${str(r.tenant)},"tool":${str(r.tool)},"trace_id":${str(r.trace_id)},"ts":${str(r.ts)}` +
    `,"upstream_outcome":${str(r.upstream_outcome)},"v":1}`
  );
}

const str = (s: string | null | undefined) => (s === null || s === undefined ? "null" : JSON.stringify(s));
const num = (n: number | null | undefined) => (n === null || n === undefined ? "null" : canonicalJson(n));
const val = (v: unknown) => (v === null || v === undefined ? "null" : typeof v === "object" ? fastCanonical(v) : canonicalJson(v));

/**
 * canonicalJson for plain JSON trees (what JSON.parse returns), without intermediate arrays:
 * verification hashes every record, so this runs hundreds of thousands of times a second. Any
 * value it does not handle itself goes to canonicalJson, the definition.
 */
function fastCanonical(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) return canonicalJson(v); // throws, as the definition does
      return JSON.stringify(v); // -0 → "0", shortest round-trip form: as canonicalJson
    case "object": {
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) out += (i ? "," : "") + (v[i] === undefined ? "null" : fastCanonical(v[i]));
        return `${out}]`;
      }
      if (v instanceof Date) return canonicalJson(v);
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const x = o[k];
        if (x === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(k)}:${fastCanonical(x)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return canonicalJson(v);
  }
}

// One-shot hashing (Node ≥ 20.12) avoids a Hash object per record; createHash elsewhere.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: "hex") => string }).hash;

export function recordHash(r: Omit<AuditRecordView, "hash">): string {
  const text = recordCanonicalJson(r);
  return oneShot ? oneShot("sha256", text, "hex") : createHash("sha256").update(text).digest("hex");
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
