import { LRUCache } from "lru-cache";
import type { Db } from "@/lib/db";
import { isTokenRevoked } from "@/lib/db/api-tokens";
import { tenantActive } from "@/lib/db/tenants";
import { unauthorized } from "@/lib/errors";
import type { KvStore } from "@/lib/redis";
import type { Principal } from "./principal";

/** Where a revocation is announced to every replica (the message is the token's jti). */
export const TOKEN_REVOKED_CHANNEL = "canopy:tokens:revoked";

export interface TokenGuardOptions {
  kv: KvStore;
  /** The durable truth (the api_tokens table). */
  isRevoked(jti: string): Promise<boolean>;
  tenantExists(tenant: string): Promise<boolean>;
  /** How long "not revoked" and "tenant exists" answers are reused (default 5 s). */
  cacheMs?: number;
  /** How long "tenant does not exist" is reused, shorter so a new tenant's tokens work soon (default 1 s). */
  missingTenantCacheMs?: number;
  /** Bound of each cache (default 10,000 entries). */
  maxEntries?: number;
}

const JTI = /^[\w.:-]{1,200}$/;

/**
 * What a bearer token must pass after its signature: its tenant exists, and it is not revoked.
 * Answers are cached briefly (bounded LRU), but a revocation takes effect at once: the replica that
 * revokes marks the token here, and announces it on the KV store's pub/sub so every other replica
 * does the same. Revocations are permanent, so a revoked mark is kept (LRU-bounded) rather than
 * expired. Until the subscription is live (Redis unreachable), "not revoked" is never cached: each
 * use asks the database.
 */
export class TokenGuard {
  private readonly notRevoked: LRUCache<string, true>;
  private readonly revoked: LRUCache<string, true>;
  private readonly tenants: LRUCache<string, boolean>;
  private subscription?: Promise<() => Promise<void>>;
  private live = false;
  private readonly missingTtl: number;

  constructor(private readonly o: TokenGuardOptions) {
    const max = o.maxEntries ?? 10_000;
    this.notRevoked = new LRUCache({ max, ttl: o.cacheMs ?? 5_000 });
    this.revoked = new LRUCache({ max });
    this.tenants = new LRUCache({ max, ttl: o.cacheMs ?? 5_000 });
    this.missingTtl = o.missingTenantCacheMs ?? 1_000;
  }

  /** Subscribes to revocations (once; retried after a failure). Resolves to whether it is live. */
  listen(): Promise<boolean> {
    this.subscription ??= this.o.kv
      .subscribe(TOKEN_REVOKED_CHANNEL, (jti) => {
        if (JTI.test(jti)) this.markRevoked(jti);
      })
      .then((unsubscribe) => {
        this.live = true;
        return unsubscribe;
      })
      .catch((err: unknown) => {
        this.subscription = undefined;
        throw err;
      });
    return this.subscription.then(
      () => true,
      () => false,
    );
  }

  private readonly revokedListeners = new Set<(jti: string) => void>();

  /** Called for every revocation seen here (local or announced), e.g. to drop cached verifications. */
  onRevoked(fn: (jti: string) => void): () => void {
    this.revokedListeners.add(fn);
    return () => this.revokedListeners.delete(fn);
  }

  private markRevoked(jti: string) {
    this.notRevoked.delete(jti);
    this.revoked.set(jti, true);
    for (const fn of this.revokedListeners) fn(jti);
  }

  async isRevoked(jti: string): Promise<boolean> {
    if (this.revoked.has(jti)) return true;
    if (this.notRevoked.has(jti)) return false;
    if (!this.live) void this.listen();
    const value = await this.o.isRevoked(jti);
    if (value) this.markRevoked(jti);
    // A revocation announced while the database was asked wins over the older answer.
    else if (this.revoked.has(jti)) return true;
    else if (this.live) this.notRevoked.set(jti, true);
    return value;
  }

  async tenantExists(tenant: string): Promise<boolean> {
    const hit = this.tenants.get(tenant);
    if (hit !== undefined) return hit;
    const value = await this.o.tenantExists(tenant);
    this.tenants.set(tenant, value, value ? undefined : { ttl: this.missingTtl });
    return value;
  }

  /** Throws 401 unless the verified token's tenant exists and the token is not revoked. */
  async check(p: Principal): Promise<void> {
    if (!(await this.tenantExists(p.tenant))) {
      throw unauthorized(`invalid bearer token: its tenant ${p.tenant} does not exist or is suspended (a platform admin creates and resumes tenants: /api/admin/tenants)`);
    }
    if (p.tokenId && (await this.isRevoked(p.tokenId))) throw unauthorized("invalid bearer token: token revoked");
  }

  /**
   * After the database records a revocation: refuse the token here at once, and tell every other
   * replica. Call it only once the revocation is durable, so a replica that re-reads sees it too.
   */
  async revoke(jti: string): Promise<void> {
    this.markRevoked(jti);
    await this.o.kv.publish(TOKEN_REVOKED_CHANNEL, jti);
  }

  /** Forget a tenant's cached existence (after it was created here). */
  forgetTenant(tenant: string) {
    this.tenants.delete(tenant);
  }

  async close(): Promise<void> {
    const s = this.subscription;
    this.subscription = undefined;
    this.live = false;
    if (s) await (await s.catch(() => async () => {}))();
  }
}

/** The process's token guard on its KV store and database, subscribed at creation (the composition root builds one). */
export function createTokenGuard(kv: KvStore, db: () => Promise<Db>): TokenGuard {
  const guard = new TokenGuard({
    kv,
    isRevoked: async (jti) => isTokenRevoked((await db()).prisma, jti),
    // A suspended tenant counts as absent: its credentials stop acting (within the cache time).
    tenantExists: async (tenant) => tenantActive((await db()).prisma, tenant),
  });
  void guard.listen();
  return guard;
}
