import { createHash } from "node:crypto";
import type { KvStore } from "@/lib/redis";

/**
 * Console sign-in throttling: failed sign-ins are counted per login and per client address in a
 * fixed window (started by the first failure) in the shared KV store, so every replica sees them.
 * Past either limit, sign-ins are refused before the password is checked, with the same generic
 * failure as a wrong password (nothing tells whether the account exists).
 */

export interface LoginThrottleOptions {
  kv: KvStore;
  maxPerLogin: number;
  maxPerAddress: number;
  windowSeconds: number;
}

export type ThrottleVerdict =
  | { allowed: true }
  /** `first`: the first refusal of this window for this key (audit it; later ones are only counted). */
  | { allowed: false; scope: "login" | "address"; failures: number; limit: number; retryAfterSeconds: number; first: boolean };

const digest = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 32);

/** Logins are matched case-insensitively (emails), so counters are too. */
export const normalizeLogin = (login: string) => login.trim().toLowerCase();

export function loginThrottle(o: LoginThrottleOptions) {
  const windowMs = o.windowSeconds * 1000;
  // Hashed: keys never hold an email address; the address part is an IP literal.
  const keys = (login: string, address: string | null) => ({
    login: `canopy:login:fail:l:${digest(normalizeLogin(login))}`,
    address: address ? `canopy:login:fail:a:${encodeURIComponent(address)}` : null,
  });

  return {
    async check(login: string, address: string | null): Promise<ThrottleVerdict> {
      const k = keys(login, address);
      const [byLogin, byAddress] = await Promise.all([o.kv.get(k.login), k.address ? o.kv.get(k.address) : Promise.resolve(null)]);
      const scopes = [
        { scope: "login" as const, key: k.login, failures: Number(byLogin ?? 0), limit: o.maxPerLogin },
        ...(k.address ? [{ scope: "address" as const, key: k.address, failures: Number(byAddress ?? 0), limit: o.maxPerAddress }] : []),
      ];
      const over = scopes.find((s) => s.failures >= s.limit);
      if (!over) return { allowed: true };
      const [ttl, refusals] = await Promise.all([o.kv.pttl(over.key), o.kv.incrBy(`${over.key}:refused`, 1, windowMs)]);
      return {
        allowed: false,
        scope: over.scope,
        failures: over.failures,
        limit: over.limit,
        retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)),
        first: refusals === 1,
      };
    },

    async failed(login: string, address: string | null): Promise<void> {
      const k = keys(login, address);
      await Promise.all([o.kv.incrBy(k.login, 1, windowMs), k.address ? o.kv.incrBy(k.address, 1, windowMs) : Promise.resolve(0)]);
    },

    /** A good password clears its login's failures (not the address's: one good account must not unlock guessing others). */
    async succeeded(login: string): Promise<void> {
      await o.kv.del(keys(login, null).login);
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottle>;

/**
 * The client address of a sign-in: the last `X-Forwarded-For` entry, which Next.js sets from the
 * socket when no proxy did, or the nearest reverse proxy appended. Without a proxy a client can
 * set the header itself; the per-login limit holds regardless.
 */
export function clientAddress(headers: Record<string, string | string[] | undefined> | Headers | undefined): string | null {
  if (!headers) return null;
  const raw = headers instanceof Headers ? headers.get("x-forwarded-for") : headers["x-forwarded-for"];
  const value = Array.isArray(raw) ? raw.join(",") : raw;
  const last = value?.split(",").map((s) => s.trim()).filter(Boolean).pop();
  return last ? last.slice(0, 64) : null;
}
