import { describe, expect, it, test } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { generateKeyPair, hmacSha256Hex, hmacVerifyHex, constantTimeEqual, parsePublicKey, sign, verify } from "./index";

const POLICY = `version: 1
defaults: { decision: deny }
rules:
  - name: allow reads
    match: fs.read
    action: allow
`;

describe("Ed25519 policy signatures", () => {
  const keys = generateKeyPair();
  const other = generateKeyPair();
  const sig = sign(POLICY, keys.privateKey);

  it("key files are base64 DER usable as POLICY_PUBLIC_KEY_B64", () => {
    expect(keys.publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(keys.publicKey, "base64").length).toBe(44); // SPKI of a 32-byte key
    expect(Buffer.from(keys.privateKey, "base64").length).toBe(48); // PKCS#8
    expect(sig).toHaveLength(88);
  });

  it("verifies an untouched policy", () => {
    expect(verify(POLICY, sig, keys.publicKey)).toEqual({ ok: true });
    expect(verify(Buffer.from(POLICY), `${sig}\n`, keys.publicKey)).toEqual({ ok: true });
  });

  it("accepts PEM and raw 32-byte keys", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const pemPub = publicKey.export({ type: "spki", format: "pem" }).toString();
    const pemPriv = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const s = sign(POLICY, pemPriv);
    expect(verify(POLICY, s, pemPub).ok).toBe(true);
    const raw = publicKey.export({ type: "spki", format: "der" }).subarray(12).toString("base64");
    expect(verify(POLICY, s, raw).ok).toBe(true);
  });

  const flipped = Buffer.from(POLICY);
  flipped[20] ^= 0x01;
  const sigBytes = Buffer.from(sig, "base64");
  test.each([
    { label: "flipped byte in the policy", data: flipped, signature: sig, key: keys.publicKey, reason: "bad_signature" },
    { label: "appended rule", data: POLICY + "  - name: everything\n    match: '*'\n    action: allow\n", signature: sig, key: keys.publicKey, reason: "bad_signature" },
    { label: "stripped signature (empty)", data: POLICY, signature: "", key: keys.publicKey, reason: "missing_signature" },
    { label: "stripped signature (absent)", data: POLICY, signature: undefined, key: keys.publicKey, reason: "missing_signature" },
    { label: "signature from another key", data: POLICY, signature: sign(POLICY, other.privateKey), key: keys.publicKey, reason: "bad_signature" },
    { label: "verified with another public key", data: POLICY, signature: sig, key: other.publicKey, reason: "bad_signature" },
    { label: "truncated signature", data: POLICY, signature: sigBytes.subarray(0, 40).toString("base64"), key: keys.publicKey, reason: "truncated_signature" },
    { label: "wrong encoding (hex)", data: POLICY, signature: sigBytes.toString("hex"), key: keys.publicKey, reason: "malformed_signature" },
    { label: "wrong encoding (garbage)", data: POLICY, signature: "not a signature!", key: keys.publicKey, reason: "malformed_signature" },
    { label: "signature too long", data: POLICY, signature: Buffer.concat([sigBytes, Buffer.from([0])]).toString("base64"), key: keys.publicKey, reason: "malformed_signature" },
    { label: "flipped signature bit", data: POLICY, signature: Buffer.from(sigBytes.map((b, i) => (i === 5 ? b ^ 1 : b))).toString("base64"), key: keys.publicKey, reason: "bad_signature" },
    { label: "unusable public key", data: POLICY, signature: sig, key: "AAAA", reason: "invalid_public_key" },
  ])("refuses: $label", ({ data, signature, key, reason }) => {
    const r = verify(data, signature, key);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message.length).toBeGreaterThan(5);
    }
  });

  it("rejects a non-Ed25519 key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" }).toString("base64");
    expect(() => parsePublicKey(rsa)).toThrow(/Ed25519/);
  });
});

describe("HMAC approval signatures", () => {
  // Seed 003: HMAC-SHA256(secret, "{approval_id}:{decision}:{approver}:{expires_at_iso}")
  const msg = "appr_abc123:approved:user@company.com:2025-10-17T11:30:00+00:00";
  it("matches the reference HMAC-SHA256 (RFC 4231 case 2)", () => {
    expect(hmacSha256Hex("Jefe", "what do ya want for nothing?")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });
  it("verifies in constant time and rejects tampering", () => {
    const s = hmacSha256Hex("secret", msg);
    expect(hmacVerifyHex("secret", msg, s)).toBe(true);
    expect(hmacVerifyHex("secret", msg, s.toUpperCase())).toBe(true);
    expect(hmacVerifyHex("secret", msg.replace("approved", "rejected"), s)).toBe(false);
    expect(hmacVerifyHex("other", msg, s)).toBe(false);
    expect(hmacVerifyHex("secret", msg, s.slice(0, 60))).toBe(false);
    expect(hmacVerifyHex("secret", msg, undefined)).toBe(false);
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
  });
});
