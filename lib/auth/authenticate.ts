import { getServerSession } from "next-auth";
import { getDb } from "@/lib/db";
import { isTokenRevoked, recordTokenIfAbsent } from "@/lib/db/api-tokens";
import { getMembership, listMembershipsOfUser } from "@/lib/db/users";
import { env } from "@/lib/env";
import { forbidden, unauthorized } from "@/lib/errors";
import { getSecrets } from "@/lib/secrets";
import { authOptions } from "./next-auth";
import type { Principal } from "./principal";
import { hashToken, verifyToken } from "./tokens";

export const TENANT_COOKIE = "canopy_tenant";

// Revocations reach every replica within this long; the token's signature is checked every time.
const REVOCATION_CACHE_MS = 5_000;
const revocationCache = new Map<string, { revoked: boolean; until: number }>();

async function revoked(jti: string): Promise<boolean> {
  const now = Date.now();
  const hit = revocationCache.get(jti);
  if (hit && hit.until > now) return hit.revoked;
  const { prisma } = await getDb();
  const value = await isTokenRevoked(prisma, jti);
  if (revocationCache.size > 10_000) revocationCache.clear();
  revocationCache.set(jti, { revoked: value, until: now + REVOCATION_CACHE_MS });
  return value;
}

export function tokenKeys() {
  const s = getSecrets();
  const e = env();
  return { privateKeyPem: s.jwtPrivateKeyPem, publicKeyPem: s.jwtPublicKeyPem, issuer: e.CANOPY_JWT_ISSUER, audience: e.CANOPY_JWT_AUDIENCE };
}

const recorded = new Set<string>();

export async function principalFromBearer(token: string): Promise<Principal> {
  const p = await verifyToken(token, tokenKeys());
  if (await revoked(p.tokenId!)) throw unauthorized("invalid bearer token: token revoked");
  if (!recorded.has(p.tokenId!)) {
    recorded.add(p.tokenId!);
    // Best effort: makes CLI-minted tokens visible (and revocable) in the console.
    const { prisma } = await getDb();
    recordTokenIfAbsent(prisma, {
      id: p.tokenId!, tenantId: p.tenant, subject: p.subject, roles: p.roles, tokenHash: hashToken(token),
      expiresAt: new Date((JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp as number) * 1000),
    }).catch(() => recorded.delete(p.tokenId!));
  }
  return p;
}

/** A signed-in console user, in the tenant chosen by cookie (else their first membership). */
export async function principalFromSession(tenantCookie?: string): Promise<Principal | null> {
  const session = await getServerSession(authOptions());
  const userId = session?.user?.id;
  if (!userId) return null;
  const { prisma } = await getDb();
  const membership = tenantCookie
    ? await getMembership(prisma, tenantCookie, userId)
    : (await listMembershipsOfUser(prisma, userId))[0];
  if (!membership) {
    if (tenantCookie) throw forbidden(`you are not a member of tenant ${tenantCookie}`);
    throw forbidden("your account has no tenant membership; ask an admin to add you to a tenant");
  }
  return { kind: "session", tenant: membership.tenantId, subject: userId, roles: membership.roles };
}

export async function authenticate(req: Request): Promise<Principal> {
  const header = req.headers.get("authorization");
  if (header) {
    const m = header.match(/^Bearer\s+(\S+)$/i);
    if (!m) throw unauthorized("Authorization header must be `Bearer <token>`");
    return principalFromBearer(m[1]);
  }
  const cookies = req.headers.get("cookie") ?? "";
  // Only a request carrying next-auth's session cookie can be a console session.
  if (!/(?:^|;\s*)(?:__Secure-)?next-auth\.session-token(?:\.\d+)?=/.test(cookies)) throw unauthorized();
  const tenant = cookies.match(new RegExp(`(?:^|;\\s*)${TENANT_COOKIE}=([^;]+)`))?.[1];
  const p = await principalFromSession(tenant ? decodeURIComponent(tenant) : undefined);
  if (!p) throw unauthorized();
  return p;
}
