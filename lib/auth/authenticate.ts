import { LRUCache } from "lru-cache";
import { getServerSession } from "next-auth";
import { getDb } from "@/lib/db";
import { recordTokenUse } from "@/lib/db/api-tokens";
import { getMembership, listMembershipsOfUser } from "@/lib/db/users";
import { forbidden, unauthorized } from "@/lib/errors";
import { authOptions } from "./next-auth";
import type { Principal } from "./principal";
import { tokenGuard } from "./token-guard";
import { tokenKeys } from "./token-keys";
import { hashToken, verifyToken } from "./tokens";

export { tokenKeys } from "./token-keys";
export { closeTokenGuard, tokenGuard } from "./token-guard";

export const TENANT_COOKIE = "canopy_tenant";

// "Last used" is written at most once a minute per token and process, not on every call.
const LAST_USED_EVERY_MS = 60_000;
const touched = new LRUCache<string, true>({ max: 10_000, ttl: LAST_USED_EVERY_MS });

export async function principalFromBearer(token: string): Promise<Principal> {
  const p = await verifyToken(token, tokenKeys());
  await tokenGuard().check(p);
  if (!touched.has(p.tokenId!)) {
    touched.set(p.tokenId!, true);
    // Best effort: records when it was last used (and a token minted before tokens were recorded at mint).
    const { prisma } = await getDb();
    recordTokenUse(
      prisma,
      {
        id: p.tokenId!, tenantId: p.tenant, subject: p.subject, roles: p.roles, tokenHash: hashToken(token),
        expiresAt: new Date((JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp as number) * 1000),
      },
      new Date(),
    ).catch(() => touched.delete(p.tokenId!));
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
  if (!(await tokenGuard().tenantExists(membership.tenantId))) throw forbidden(`tenant ${membership.tenantId} is suspended; a platform admin can resume it`);
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
