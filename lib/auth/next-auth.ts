import { randomBytes } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { Db, PrismaClient } from "@/lib/db";
import { findUserByLogin, listMembershipsOfUser } from "@/lib/db/users";
import { type Env, platformTenant } from "@/lib/env";
import { type OidcClaims, type OidcRule, parseOidcMapping } from "@/lib/access/oidc-mapping";
import type { Logger } from "@/lib/log";
import type { KvStore } from "@/lib/redis";
import { clientAddress, loginThrottle } from "./login-throttle";
import { hashPassword, verifyPassword } from "./passwords";

declare module "next-auth" {
  interface Session {
    user: { id: string; email?: string | null; name?: string | null };
    tenant?: string;
  }
}

/** A console sign-in, accepted or refused, in one tenant: the composition root records it in the audit log. */
export interface LoginEvent {
  tenant: string;
  subject: string | null;
  decision: "allow" | "deny";
  reason: string;
  data: Record<string, unknown>;
}

export interface AuthOptionsDeps {
  env: Env;
  nextauthSecret: string;
  kv: KvStore;
  db: () => Promise<Db>;
  log: Logger;
  /** Resolves once the event is recorded; auth does not know where (the root wires the audit log). */
  onLogin: (event: LoginEvent) => Promise<unknown>;
  /** Who a single sign-on is (linked, invited, or created by the mapping rules); the root wires lib/access. */
  resolveOidc: (claims: OidcClaims, rules: readonly OidcRule[]) => Promise<{ ok: true; userId: string } | { ok: false; reason: string }>;
}

/** next-auth's options (providers, the sign-in throttle, sign-in events); built once by the composition root. */
export function createAuthOptions(deps: AuthOptionsDeps): NextAuthOptions {
  const { env: e, log } = deps;
  const getDb = deps.db;
  const throttle = loginThrottle({ kv: deps.kv, maxPerLogin: e.LOGIN_MAX_FAILURES_PER_LOGIN, maxPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS });
  // Unknown logins are checked against this hash, so timing does not tell whether the account exists.
  const dummy = hashPassword(randomBytes(16).toString("hex"));
  const dummyHash = () => dummy;

  /**
   * A refused sign-in is recorded in the tenants of the account it names, or in the platform tenant
   * when it names none. Best effort: a sign-in is refused whether or not the record is written.
   */
  async function auditLoginRefusal(prisma: PrismaClient, login: string, address: string | null, reason: string, extra: Record<string, unknown>) {
    try {
      const user = await findUserByLogin(prisma, login);
      const tenants = user ? user.memberships.map((m) => m.tenantId) : [];
      await Promise.all(
        (tenants.length > 0 ? tenants : [platformTenant()]).map((tenant) =>
          deps.onLogin({ tenant, subject: user?.id ?? null, decision: "deny", reason, data: { provider: "credentials", login, address, ...extra } }),
        ),
      );
    } catch (err) {
      log.error({ err, login }, "could not audit a refused console sign-in");
    }
  }

  const providers: NextAuthOptions["providers"] = [];
  if (e.CANOPY_DEV_LOGIN) {
    providers.push(
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          if (!credentials?.email || !credentials.password) return null;
          const login = credentials.email.slice(0, 320);
          const address = clientAddress(req?.headers);
          const { prisma } = await getDb();
          const verdict = await throttle.check(login, address);
          if (!verdict.allowed) {
            log.warn({ login, address, scope: verdict.scope }, "console login throttled");
            // One record per login or address and window; later refusals are only counted.
            if (verdict.first) {
              await auditLoginRefusal(prisma, login, address, `console sign-in throttled: ${verdict.failures} failed sign-ins for this ${verdict.scope} (limit ${verdict.limit}); retry in ${verdict.retryAfterSeconds} s`, {
                throttled: verdict.scope,
              });
            }
            return null;
          }
          const user = await findUserByLogin(prisma, login);
          // Unknown logins cost a hash check too, so timing does not tell whether the account exists.
          const ok = await verifyPassword(credentials.password, user?.passwordHash ?? (await dummyHash()));
          if (!user || !ok || user.disabled) {
            log.info({ login, address }, "console login refused");
            await throttle.failed(login, address);
            await auditLoginRefusal(prisma, login, address, "console sign-in refused: wrong login or password, or account disabled", {});
            return null;
          }
          await throttle.succeeded(login);
          return { id: user.id, email: user.email, name: user.name };
        },
      }),
    );
  }
  if (e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET) {
    providers.push({
      id: "oidc",
      name: e.OIDC_NAME,
      type: "oauth",
      wellKnown: `${e.OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: e.OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: e.OIDC_SCOPES } },
      idToken: true,
      checks: ["pkce", "state"],
      profile(p: { sub: string; email?: string; name?: string }) {
        return { id: p.sub, email: p.email ?? null, name: p.name ?? null };
      },
    });
  }
  return {
    secret: deps.nextauthSecret,
    session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
    // Refusals (e.g. an SSO identity with no account) come back to the sign-in page with ?error=.
    pages: { signIn: "/login", error: "/login" },
    providers,
    events: {
      // Every console sign-in is audited, in each tenant the user belongs to.
      async signIn({ user, account }) {
        try {
          const { prisma } = await getDb();
          const tenants = (await listMembershipsOfUser(prisma, user.id)).map((m) => m.tenantId);
          await Promise.all(
            tenants.map((tenant) =>
              deps.onLogin({ tenant, subject: user.id, decision: "allow", reason: `console sign-in with ${account?.provider ?? "unknown"}`, data: { provider: account?.provider ?? null, email: user.email ?? null } }),
            ),
          );
        } catch (err) {
          log.error({ err, user: user.id }, "could not audit a console sign-in");
        }
      },
    },
    callbacks: {
      // SSO: the linked user, an invited/existing user by verified email, or one the mapping rules create.
      async signIn({ user, account, profile }) {
        if (account?.provider !== "oidc") return true;
        const claims = { ...(profile as Record<string, unknown>), sub: String((profile as { sub?: unknown } | undefined)?.sub ?? user.id) } as OidcClaims;
        const r = await deps.resolveOidc(claims, parseOidcMapping(e.OIDC_MAPPING));
        if (!r.ok) {
          log.info({ sub: claims.sub, reason: r.reason }, "single sign-on refused");
          return false;
        }
        user.id = r.userId;
        return true;
      },
      async jwt({ token, user }) {
        if (user) token.uid = user.id;
        return token;
      },
      async session({ session, token }) {
        session.user = { ...session.user, id: String(token.uid ?? token.sub ?? "") };
        return session;
      },
    },
  };
}
