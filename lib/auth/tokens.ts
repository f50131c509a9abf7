import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID } from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { env } from "@/lib/env";
import { isAppError, unauthorized } from "@/lib/errors";
import type { Principal } from "./principal";

/** Only EdDSA (Ed25519) is accepted; `none` and every other algorithm are refused. */
export const TOKEN_ALGORITHMS = ["EdDSA"];

export interface TokenKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  /** Public keys of earlier signing keys: their tokens keep verifying (by `kid`) until they expire. */
  previousPublicKeyPems?: string[];
  issuer: string;
  audience: string;
}

export interface MintInput {
  tenant: string;
  subject: string;
  roles: string[];
  ttlSeconds: number;
  /** Seconds since the epoch; the clock is an argument so tests and the CLI agree. */
  now: number;
}

/** The longest a token may live (exp − iat), from CANOPY_TOKEN_MAX_TTL_SECONDS. */
export function maxTokenTtlSeconds(): number {
  return env().CANOPY_TOKEN_MAX_TTL_SECONDS;
}

const mintSchema = (maxTtl: number) =>
  z.object({
    tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "tenant must be a lowercase slug such as demo-tenant"),
    subject: z.string().min(1, "subject is required").max(200),
    roles: z.array(z.string().min(1)).min(1, "at least one role is required"),
    ttlSeconds: z
      .number({ error: "ttl must be a whole number of seconds" })
      .int("ttl must be a whole number of seconds")
      .min(1, "ttl must be at least 1 second")
      .max(maxTtl, `ttl must be at most ${maxTtl} seconds (CANOPY_TOKEN_MAX_TTL_SECONDS)`),
    now: z.number(),
  });

const claimsSchema = z.object({
  sub: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.string()),
  jti: z.string().min(1),
  exp: z.number(),
  iat: z.number(),
});

/** Signs a token; a ttl above `maxTtlSeconds` (default: CANOPY_TOKEN_MAX_TTL_SECONDS) is refused (ZodError). */
export async function mintToken(input: MintInput, keys: TokenKeys, maxTtlSeconds: number = maxTokenTtlSeconds()) {
  const v = mintSchema(maxTtlSeconds).parse(input);
  const jti = randomUUID();
  const exp = Math.floor(v.now) + v.ttlSeconds;
  const token = await new SignJWT({ tenant: v.tenant, roles: v.roles })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: tokenKeyId(keys.publicKeyPem) })
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setSubject(v.subject)
    .setJti(jti)
    .setIssuedAt(Math.floor(v.now))
    .setExpirationTime(exp)
    .sign(createPrivateKey(keys.privateKeyPem));
  return { token, jti, expiresAt: new Date(exp * 1000), tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// Parsing a PEM costs more than verifying a signature: keep the parsed keys and their ids.
const publicKeys = new Map<string, { key: KeyObject; kid: string }>();
function publicKeyOf(pem: string): { key: KeyObject; kid: string } {
  let entry = publicKeys.get(pem);
  if (!entry) {
    const key = createPublicKey(pem);
    entry = { key, kid: createHash("sha256").update(key.export({ format: "der", type: "spki" })).digest("hex").slice(0, 16) };
    publicKeys.set(pem, entry);
  }
  return entry;
}

/** A signing key's id (`kid`): the first 16 hex digits of the SHA-256 of its public key (SPKI DER). */
export function tokenKeyId(publicKeyPem: string): string {
  return publicKeyOf(publicKeyPem).kid;
}

/**
 * The key a token names by `kid`: the current one or an earlier one still accepted. A token without
 * `kid` (minted before keys had ids) may be signed by any accepted key: all are candidates.
 */
function candidateKeys(token: string, keys: Omit<TokenKeys, "privateKeyPem">): KeyObject[] {
  const all = [keys.publicKeyPem, ...(keys.previousPublicKeyPems ?? [])].map(publicKeyOf);
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return [all[0].key]; // malformed: jwtVerify says what is wrong
  }
  if (kid === undefined) return all.map((k) => k.key);
  const named = all.find((k) => k.kid === kid);
  if (!named) throw unauthorized("invalid bearer token: signed by a key this server does not accept (unknown kid); mint a new token");
  return [named.key];
}

/**
 * Verifies signature, algorithm, issuer, audience, expiry and lifetime (exp − iat at most
 * `maxTtlSeconds`, default CANOPY_TOKEN_MAX_TTL_SECONDS: a token minted to live longer is refused
 * even before it expires); returns the principal or throws 401.
 */
export async function verifyToken(token: string, keys: Omit<TokenKeys, "privateKeyPem">, nowSeconds?: number, maxTtlSeconds: number = maxTokenTtlSeconds()): Promise<Principal> {
  let claims: z.infer<typeof claimsSchema> | undefined;
  let failure: unknown;
  for (const key of candidateKeys(token, keys)) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: TOKEN_ALGORITHMS,
        issuer: keys.issuer,
        audience: keys.audience,
        requiredClaims: ["exp", "iat", "sub", "jti"],
        currentDate: nowSeconds === undefined ? undefined : new Date(nowSeconds * 1000),
      });
      claims = claimsSchema.parse(payload);
      break;
    } catch (e) {
      if (isAppError(e)) throw e;
      // Another accepted key may have signed it; anything but a bad signature is final.
      failure = e;
      if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) break;
    }
  }
  if (!claims) throw unauthorized(`invalid bearer token: ${describe(failure)}`);
  const lifetime = claims.exp - claims.iat;
  if (lifetime > maxTtlSeconds) {
    throw unauthorized(`invalid bearer token: it was minted to live ${lifetime} s, longer than the maximum of ${maxTtlSeconds} s (CANOPY_TOKEN_MAX_TTL_SECONDS); mint a shorter-lived token`);
  }
  return { kind: "token", tenant: claims.tenant, subject: claims.sub, roles: claims.roles, tokenId: claims.jti };
}

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return "token expired; mint a new one";
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return `algorithm not allowed (only ${TOKEN_ALGORITHMS.join(", ")})`;
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} ${e.reason === "check_failed" ? "does not match" : e.reason}`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (e instanceof z.ZodError) return "missing tenant, roles or iat claims";
  if (e instanceof joseErrors.JOSEError) return e.code === "ERR_JWS_INVALID" || e.code === "ERR_JWT_INVALID" ? "malformed token" : e.message;
  return "malformed token";
}
