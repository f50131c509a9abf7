import { env } from "@/lib/env";
import { getSecrets } from "@/lib/secrets";

/** The server's token signing keys and claims (the CLI signs with the same, from the data folder or the environment). */
export function tokenKeys() {
  const s = getSecrets();
  const e = env();
  return { privateKeyPem: s.jwtPrivateKeyPem, publicKeyPem: s.jwtPublicKeyPem, issuer: e.CANOPY_JWT_ISSUER, audience: e.CANOPY_JWT_AUDIENCE };
}
