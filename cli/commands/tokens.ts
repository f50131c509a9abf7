import { parseArgs } from "node:util";

export const TOKENS_USAGE = `usage:
  canopy tokens list --tenant T [--limit N] [--json]   the tenant's API tokens, newest first (never the tokens themselves)
  canopy tokens revoke ID [--tenant T]                 revoke a token: refused from its next use on every replica (via Redis)
`;

function fmt(d: string | null) {
  return d ? d.replace(/\.\d+Z$/, "Z") : "-";
}

/** `canopy tokens list|revoke`: an operator's view of API tokens, on the same database as the server. */
export async function tokensCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { tenant: { type: "string" }, limit: { type: "string" }, json: { type: "boolean", default: false } },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`canopy tokens: ${(e as Error).message}\n${TOKENS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, id, ...extra] = positionals;
  if ((sub !== "list" && sub !== "revoke") || extra.length || (sub === "list" && (!values.tenant || id)) || (sub === "revoke" && !id)) {
    process.stderr.write(TOKENS_USAGE);
    return 2;
  }
  const { env } = await import("@/lib/env");
  if (!env().DATABASE_URL) {
    // The embedded database belongs to the one server process that has it open: a second process
    // must not open it (PGlite has no cross-process locking), so this command works on Postgres only.
    process.stderr.write(
      `canopy tokens ${sub}: the embedded database (no DATABASE_URL) belongs to the server that uses it; use the API instead (${sub === "list" ? "GET /api/admin/tokens" : `DELETE /api/admin/tokens/${id}`}), or set DATABASE_URL to the server's Postgres\n`,
    );
    return 2;
  }
  const { isAppError } = await import("@/lib/errors");
  const { createServices } = await import("@/lib/server/services");
  const svc = createServices(env());
  const db = await svc.db();
  try {
    if (sub === "list") {
      const { listTokens } = await import("@/lib/access/api-tokens");
      const { tokenListQuerySchema } = await import("@/lib/access/token-schemas");
      const query = tokenListQuerySchema.safeParse({ limit: values.limit });
      if (!query.success) {
        process.stderr.write(`canopy tokens list: --limit must be 1..200\n`);
        return 2;
      }
      const page = await listTokens(svc, values.tenant!, query.data);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(page)}\n`);
        return 0;
      }
      if (page.tokens.length === 0) process.stdout.write(`no tokens recorded for tenant ${values.tenant}\n`);
      for (const t of page.tokens) {
        const status = t.revoked ? `revoked ${fmt(t.revoked_at)}` : t.expired ? "expired" : "active";
        process.stdout.write(`${t.id}  ${t.subject}  [${t.roles.join(",")}]  ${t.name ?? "-"}  created ${fmt(t.created_at)}  expires ${fmt(t.expires_at)}  last used ${fmt(t.last_used_at)}  ${status}\n`);
      }
      if (page.next_cursor) process.stdout.write(`(more: raise --limit, or use GET /api/admin/tokens?cursor=${page.next_cursor})\n`);
      return 0;
    }
    const { getTokenById } = await import("@/lib/db/api-tokens");
    const row = await getTokenById(db.prisma, id!);
    const tenant = values.tenant ?? row?.tenantId;
    if (!row || !tenant || row.tenantId !== tenant) {
      process.stderr.write(`canopy tokens revoke: token ${id} not found${values.tenant ? ` in tenant ${values.tenant}` : ""}\n`);
      return 1;
    }
    const { revokeTokenOf } = await import("@/lib/access/api-tokens");
    const { userInfo } = await import("node:os");
    const r = await revokeTokenOf(svc, tenant, id!, `cli:${userInfo().username}`);
    process.stdout.write(r.already_revoked ? `token ${id} of tenant ${tenant} was already revoked (${fmt(r.token.revoked_at)})\n` : `revoked token ${id} of ${r.token.subject} in tenant ${tenant}\n`);
    return 0;
  } catch (e) {
    if (isAppError(e) && e.status < 500) {
      process.stderr.write(`canopy tokens ${sub}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await svc.close();
  }
}
