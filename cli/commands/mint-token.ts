import { parseArgs } from "node:util";

const USAGE = "usage: canopy mint-token --tenant T --subject S --roles a,b [--ttl SECONDS] [--name NAME] [--json]";

/**
 * Prints a bearer token signed with the server's key (from CANOPY_JWT_PRIVATE_KEY or the data
 * folder's secrets.json, the same the server uses). Refuses unknown roles, a ttl above
 * CANOPY_TOKEN_MAX_TTL_SECONDS and a tenant that does not exist (it reads the database for that).
 * On a Postgres database the token is recorded and audited at once (listed and revocable before
 * its first use). The embedded database (PGlite, no DATABASE_URL) belongs to the one server process
 * that has it open — a second process must not even open it — so the CLI does not touch it: the
 * token is signed, the tenant is checked by the server on first use (unknown tenants are refused
 * there), and the server records the token then.
 */
export async function mintTokenCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenant: { type: "string" },
        subject: { type: "string" },
        roles: { type: "string" },
        ttl: { type: "string", default: "3600" },
        name: { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`canopy mint-token: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const missing = (["tenant", "subject", "roles"] as const).filter((k) => !values[k]);
  if (missing.length) {
    process.stderr.write(`canopy mint-token: missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const roles = [...new Set(values.roles!.split(",").map((r) => r.trim()).filter(Boolean))];
  const ttl = Number(values.ttl);
  const { isAppError } = await import("@/lib/errors");
  const { ZodError } = await import("zod");
  const { checkMintRequest, issueToken } = await import("@/lib/access/api-tokens");
  try {
    // Before the database is opened: what can be refused from the arguments alone.
    checkMintRequest("operator", roles, ttl);
  } catch (e) {
    if (isAppError(e)) {
      process.stderr.write(`canopy mint-token: ${e.message.replace(/^ttl /, "--ttl ")}\n`);
      return 2;
    }
    throw e;
  }

  const { env } = await import("@/lib/env");
  if (!env().DATABASE_URL) {
    try {
      const { tokenKeysOf } = await import("@/lib/auth/token-keys");
      const { mintToken } = await import("@/lib/auth/tokens");
      const { loadSecrets } = await import("@/lib/secrets");
      const m = await mintToken({ tenant: values.tenant!, subject: values.subject!, roles, ttlSeconds: ttl, now: Math.floor(Date.now() / 1000) }, tokenKeysOf(loadSecrets(env()), env()));
      process.stdout.write(values.json ? `${JSON.stringify({ token: m.token, jti: m.jti, expires_at: m.expiresAt.toISOString() })}\n` : `${m.token}\n`);
      return 0;
    } catch (e) {
      if (e instanceof ZodError) {
        process.stderr.write(`canopy mint-token: ${e.issues.map((i) => `--${String(i.path[0]).replace("ttlSeconds", "ttl")}: ${i.message}`).join("; ")}\n`);
        return 2;
      }
      throw e;
    }
  }

  const { createServices } = await import("@/lib/server/services");
  const svc = createServices(env());
  try {
    const { userInfo } = await import("node:os");
    const t = await issueToken(svc, { tenant: values.tenant!, subject: `cli:${userInfo().username}`, roles: "operator" }, { subject: values.subject!, roles, ttlSeconds: ttl, name: values.name });
    process.stdout.write(values.json ? `${JSON.stringify({ token: t.token, jti: t.id, expires_at: t.expires_at })}\n` : `${t.token}\n`);
    return 0;
  } catch (e) {
    if (isAppError(e) && e.status < 500) {
      process.stderr.write(`canopy mint-token: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ZodError) {
      process.stderr.write(`canopy mint-token: ${e.issues.map((i) => `--${String(i.path[0]).replace("ttlSeconds", "ttl")}: ${i.message}`).join("; ")}\n`);
      return 2;
    }
    throw e;
  } finally {
    await svc.close();
  }
}
