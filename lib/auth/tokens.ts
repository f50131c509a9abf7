import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { isAppError, unauthorized } from "@/lib/errors";
import type { Principal } from "./principal";

/** Only EdDSA (Ed25519) is accepted; `none` and every other algorithm are refused. */
export const TOKEN_ALGORITHMS = ["EdDSA"];

export interface TokenKeys {
  privateKeyPem: string;
  publicKeyPem: string;
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

export const mintInputSchema = z.object({
  tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "tenant must be a lowercase slug such as demo-tenant"),
  subject: z.string().min(1, "subject is required").max(200),
  roles: z.array(z.string().min(1)).min(1, "at least one role is required"),
  ttlSeconds: z.number().int().min(1).max(60 * 60 * 24 * 366, "ttl must be at most a year"),
  now: z.number(),
});

const claimsSchema = z.object({
  sub: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.string()),
  jti: z.string().min(1),
  exp: z.number(),
});

export async function mintToken(input: MintInput, keys: TokenKeys) {
  const v = mintInputSchema.parse(input);
  const jti = randomUUID();
  const exp = Math.floor(v.now) + v.ttlSeconds;
  const token = await new SignJWT({ tenant: v.tenant, roles: v.roles })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
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

// Parsing a PEM costs more than verifying a signature: keep the parsed keys.
const publicKeys = new Map<string, KeyObject>();
function publicKeyOf(pem: string): KeyObject {
  let key = publicKeys.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    publicKeys.set(pem, key);
  }
  return key;
}

/** Verifies signature, algorithm, issuer, audience and expiry; returns the principal or throws 401. */
export async function verifyToken(token: string, keys: Omit<TokenKeys, "privateKeyPem">, nowSeconds?: number): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, publicKeyOf(keys.publicKeyPem), {
      algorithms: TOKEN_ALGORITHMS,
      issuer: keys.issuer,
      audience: keys.audience,
      requiredClaims: ["exp", "sub", "jti"],
      currentDate: nowSeconds === undefined ? undefined : new Date(nowSeconds * 1000),
    });
    const claims = claimsSchema.parse(payload);
    return { kind: "token", tenant: claims.tenant, subject: claims.sub, roles: claims.roles, tokenId: claims.jti };
  } catch (e) {
    if (isAppError(e)) throw e;
    throw unauthorized(`invalid bearer token: ${describe(e)}`);
  }
}

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return "token expired; mint a new one";
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return `algorithm not allowed (only ${TOKEN_ALGORITHMS.join(", ")})`;
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} ${e.reason === "check_failed" ? "does not match" : e.reason}`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (e instanceof z.ZodError) return "missing tenant or roles claims";
  if (e instanceof joseErrors.JOSEError) return e.code === "ERR_JWS_INVALID" || e.code === "ERR_JWT_INVALID" ? "malformed token" : e.message;
  return "malformed token";
}
