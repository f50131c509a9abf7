import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { tokenKeys } from "@/lib/auth/authenticate";
import { mintToken } from "@/lib/auth/tokens";

/**
 * Prints a bearer token signed with the server's key (from CANOPY_JWT_PRIVATE_KEY or the data
 * folder's secrets.json, the same the server uses). The token is recorded on its first use.
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
        json: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`canopy mint-token: ${(e as Error).message}\nusage: canopy mint-token --tenant T --subject S --roles a,b --ttl SECONDS\n`);
    return 2;
  }
  const missing = (["tenant", "subject", "roles"] as const).filter((k) => !values[k]);
  if (missing.length) {
    process.stderr.write(`canopy mint-token: missing ${missing.map((m) => `--${m}`).join(", ")}\nusage: canopy mint-token --tenant T --subject S --roles a,b --ttl SECONDS\n`);
    return 2;
  }
  const ttl = Number(values.ttl);
  try {
    const minted = await mintToken(
      {
        tenant: values.tenant!,
        subject: values.subject!,
        roles: values.roles!.split(",").map((r) => r.trim()).filter(Boolean),
        ttlSeconds: ttl,
        now: Math.floor(Date.now() / 1000),
      },
      tokenKeys(),
    );
    process.stdout.write(values.json ? `${JSON.stringify({ token: minted.token, jti: minted.jti, expires_at: minted.expiresAt.toISOString() })}\n` : `${minted.token}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ZodError) {
      process.stderr.write(`canopy mint-token: ${e.issues.map((i) => `--${String(i.path[0]).replace("ttlSeconds", "ttl")}: ${i.message}`).join("; ")}\n`);
      return 2;
    }
    throw e;
  }
}
