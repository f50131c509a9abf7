-- Fingerprints of the keys every replica must share (token and audit signing keys, HMAC_SECRET,
-- NEXTAUTH_SECRET), recorded by the first process that starts on this database. A replica whose
-- keys differ refuses to start instead of minting tokens and signatures the others reject.
-- Only fingerprints: SHA-256 of the public keys and HMACs of the secrets, never the secrets.
CREATE TABLE "deployment_keys" (
    "id" TEXT NOT NULL,
    "jwt_public_key_sha256" TEXT NOT NULL,
    "audit_public_key_sha256" TEXT NOT NULL,
    "hmac_secret_fingerprint" TEXT NOT NULL,
    "nextauth_secret_fingerprint" TEXT NOT NULL,
    "recorded_by" TEXT NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "deployment_keys_pkey" PRIMARY KEY ("id")
);
