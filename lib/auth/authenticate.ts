import { createHash, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { getServerSession, type NextAuthOptions } from "next-auth";
import type { Db } from "@/lib/db";
import { recordTokenUse } from "@/lib/db/api-tokens";
import { getMembership, listMembershipsOfUser } from "@/lib/db/users";
import { forbidden, unauthorized } from "@/lib/errors";
import type { Principal } from "./principal";
import { VerifiedTokenCache } from "./token-cache";
import type { TokenGuard } from "./token-guard";
import type { TokenKeys } from "./token-keys";
import { hashToken, verifyToken } from "./tokens";

export const TENANT_COOKIE = "canopy_tenant";
/** The subject of METRICS_SCRAPE_TOKEN's principal. */
export const SCRAPER = "metrics-scraper";

const sha256 = (v: string) => createHash("sha256").update(v).digest();

/** The token of an `Authorization: Bearer <token>` header (401 for any other form). */
export function bearerToken(header: string): string {
  const m = header.match(/^Bearer\s+(\S+)$/i);
  if (!m) throw unauthorized("Authorization header must be `Bearer <token>`");
  return m[1];
}

/** Only a request carrying next-auth's session cookie can be a console session. */
export function hasSessionCookie(cookies: string): boolean {
  return /(?:^|;\s*)(?:__Secure-)?next-auth\.session-token(?:\.\d+)?=/.test(cookies);
}

// "Last used" is written at most once a minute per token and process, not on every call.
const LAST_USED_EVERY_MS = 60_000;

export interface AuthenticatorDeps {
  tokenKeys: TokenKeys;
  tokenGuard: TokenGuard;
  db: () => Promise<Db>;
  authOptions: () => NextAuthOptions;
  /** METRICS_SCRAPE_TOKEN: a static bearer that acts as role metrics_scraper in the platform tenant. */
  scrapeToken?: { token: string; tenant: string };
}

export interface Authenticator {
  authenticate(req: Request): Promise<Principal>;
  principalFromBearer(token: string): Promise<Principal>;
  principalFromSession(tenantCookie?: string): Promise<Principal | null>;
}

/** Bearer tokens and console sessions to a principal; the composition root builds one per process. */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const getDb = deps.db;
  const touched = new LRUCache<string, true>({ max: 10_000, ttl: LAST_USED_EVERY_MS });

  // Verified tokens are kept until they expire; revocation and the tenant are checked on every use.
  const verified = new VerifiedTokenCache({ verify: (token) => verifyToken(token, deps.tokenKeys) });
  deps.tokenGuard.onRevoked((jti) => verified.forget(jti));

  const scrape = deps.scrapeToken ? { digest: sha256(deps.scrapeToken.token), tenant: deps.scrapeToken.tenant } : null;

  async function principalFromBearer(token: string): Promise<Principal> {
    // Compared as digests, in constant time: neither the token nor its length leaks by timing.
    if (scrape && timingSafeEqual(sha256(token), scrape.digest)) return { kind: "token", tenant: scrape.tenant, subject: SCRAPER, roles: ["metrics_scraper"] };
    const p = await verified.verify(token);
    // Every use, cached or not: a revocation (here, or announced through Redis) refuses at once.
    await deps.tokenGuard.check(p);
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
  async function principalFromSession(tenantCookie?: string): Promise<Principal | null> {
    const session = await getServerSession(deps.authOptions());
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
    if (!(await deps.tokenGuard.tenantExists(membership.tenantId))) throw forbidden(`tenant ${membership.tenantId} is suspended; a platform admin can resume it`);
    return { kind: "session", tenant: membership.tenantId, subject: userId, roles: membership.roles };
  }

  async function authenticate(req: Request): Promise<Principal> {
    const header = req.headers.get("authorization");
    if (header) return principalFromBearer(bearerToken(header));
    const cookies = req.headers.get("cookie") ?? "";
    if (!hasSessionCookie(cookies)) throw unauthorized();
    const tenant = cookies.match(new RegExp(`(?:^|;\\s*)${TENANT_COOKIE}=([^;]+)`))?.[1];
    const p = await principalFromSession(tenant ? decodeURIComponent(tenant) : undefined);
    if (!p) throw unauthorized();
    return p;
  }

  return { authenticate, principalFromBearer, principalFromSession };
}
