import { createHash, createHmac, createPublicKey } from "node:crypto";
import type { Secrets } from "./index";

/** What identifies the keys a replica holds, without revealing any secret. */
export interface KeyFingerprints {
  jwtPublicKeySha256: string;
  auditPublicKeySha256: string;
  hmacSecretFingerprint: string;
  nextauthSecretFingerprint: string;
}

const LABELS: Record<keyof KeyFingerprints, string> = {
  jwtPublicKeySha256: "the API token signing key (CANOPY_JWT_PRIVATE_KEY)",
  auditPublicKeySha256: "the audit signing key (CANOPY_AUDIT_PRIVATE_KEY)",
  hmacSecretFingerprint: "HMAC_SECRET",
  nextauthSecretFingerprint: "NEXTAUTH_SECRET",
};

const spkiSha256 = (pem: string) => createHash("sha256").update(createPublicKey(pem).export({ format: "der", type: "spki" })).digest("hex");
// An HMAC keyed by the secret: equal secrets give equal fingerprints, and the stored value does not
// help anyone guess the secret.
const secretFingerprint = (secret: string) => createHmac("sha256", secret).update("canopyiq deployment key fingerprint v1").digest("hex");

export function keyFingerprints(s: Secrets): KeyFingerprints {
  return {
    jwtPublicKeySha256: spkiSha256(s.jwtPublicKeyPem),
    auditPublicKeySha256: spkiSha256(s.auditPublicKeyPem),
    hmacSecretFingerprint: secretFingerprint(s.hmacSecret),
    nextauthSecretFingerprint: secretFingerprint(s.nextauthSecret),
  };
}

/** The keys whose fingerprints differ, in words an operator acts on; empty when they all match. */
export function keyMismatches(mine: KeyFingerprints, recorded: KeyFingerprints): string[] {
  return (Object.keys(LABELS) as (keyof KeyFingerprints)[]).filter((k) => mine[k] !== recorded[k]).map((k) => LABELS[k]);
}

export function mismatchMessage(differ: string[], recordedBy: string, recordedAt: Date): string {
  return [
    `this process's keys differ from the ones this database's deployment uses (recorded by ${recordedBy} at ${recordedAt.toISOString()}): ${differ.join(", ")}.`,
    "Every replica must share them, or tokens minted and approvals signed by one are refused by the others.",
    "Set CANOPY_JWT_PRIVATE_KEY, CANOPY_AUDIT_PRIVATE_KEY, HMAC_SECRET and NEXTAUTH_SECRET to the deployment's values (the Helm chart keeps them in the Secret <release>-keys),",
    "or, to replace the keys on purpose (every existing token and pending approval link stops working), start once with CANOPY_KEYS_ACCEPT_NEW=true.",
  ].join("\n  ");
}
