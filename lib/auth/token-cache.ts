import { LRUCache } from "lru-cache";
import type { Principal } from "./principal";

export interface TokenCacheOptions {
  /** Full verification (signature, algorithm, issuer, audience, expiry, lifetime); throws 401. */
  verify(token: string): Promise<Principal>;
  /** Milliseconds since the epoch (injected so tests need no sleeping). */
  now?: () => number;
  /** Bound of the cache (default 10,000 tokens). */
  maxEntries?: number;
}

interface Entry {
  principal: Principal;
  expMs: number;
}

/** The `exp` claim of a token whose signature was just verified, in ms; null when absent. */
function expiryOf(token: string): number | null {
  try {
    const exp = (JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * Verified bearer tokens, kept until they expire so the hot path skips the Ed25519 check and the
 * claim parsing on every call. Only successes are kept (a bad token is verified, and refused, each
 * time). What can change before expiry (revocation, the tenant's existence) is NOT answered here:
 * callers still ask the TokenGuard on every use, whose revoked set is filled at once by the
 * revoking replica and by Redis pub/sub on every other; `forget` drops a token on revocation too.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly now: () => number;
  private readonly byJti = new Map<string, string>();

  constructor(private readonly o: TokenCacheOptions) {
    this.now = o.now ?? Date.now;
    this.entries = new LRUCache({ max: o.maxEntries ?? 10_000, dispose: (e) => e.principal.tokenId && this.byJti.delete(e.principal.tokenId) });
  }

  async verify(token: string): Promise<Principal> {
    const hit = this.entries.get(token);
    if (hit) {
      // A copy: a caller may annotate its principal; the cached one stays as verified.
      if (this.now() < hit.expMs) return { ...hit.principal, roles: [...hit.principal.roles] };
      this.entries.delete(token);
    }
    const principal = await this.o.verify(token);
    const expMs = expiryOf(token);
    if (expMs !== null && this.now() < expMs) {
      this.entries.set(token, { principal: { ...principal, roles: [...principal.roles] }, expMs });
      if (principal.tokenId) this.byJti.set(principal.tokenId, token);
    }
    return principal;
  }

  /** Drops a revoked token (by jti). */
  forget(jti: string): void {
    const token = this.byJti.get(jti);
    if (token !== undefined) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
