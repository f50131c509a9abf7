import type { Env } from "@/lib/env";
import type { Secrets } from "@/lib/secrets";
import type { TokenKeys } from "./tokens";

export type { TokenKeys };

/** The server's token signing keys and claims (the CLI signs with the same, from the data folder or the environment). */
export function tokenKeysOf(s: Pick<Secrets, "jwtPrivateKeyPem" | "jwtPublicKeyPem" | "jwtPreviousPublicKeyPems">, e: Pick<Env, "CANOPY_JWT_ISSUER" | "CANOPY_JWT_AUDIENCE">): TokenKeys {
  return { privateKeyPem: s.jwtPrivateKeyPem, publicKeyPem: s.jwtPublicKeyPem, previousPublicKeyPems: s.jwtPreviousPublicKeyPems ?? [], issuer: e.CANOPY_JWT_ISSUER, audience: e.CANOPY_JWT_AUDIENCE };
}
