import type { Services } from "@/lib/server/types";
import type { Principal } from "@/lib/auth/principal";
import { isRole } from "@/lib/auth/rbac";
import { maxTokenTtlSeconds, mintToken } from "@/lib/auth/tokens";
import * as q from "@/lib/db/api-tokens";
import { tenantExists } from "@/lib/db/tenants";
import { AppError, badRequest, forbidden, notFound } from "@/lib/errors";
import type { MintTokenBody, TokenListQuery, TokenView } from "./token-schemas";

type Row = NonNullable<Awaited<ReturnType<typeof q.getTenantToken>>>;

function view(t: Row, now: Date): TokenView {
  return {
    id: t.id,
    tenant: t.tenantId,
    subject: t.subject,
    roles: t.roles,
    name: t.name,
    created_by: t.createdBy,
    created_at: t.createdAt.toISOString(),
    expires_at: t.expiresAt.toISOString(),
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    revoked: t.revokedAt !== null,
    revoked_at: t.revokedAt?.toISOString() ?? null,
    revoked_by: t.revokedBy,
    expired: t.expiresAt.getTime() <= now.getTime(),
  };
}

/**
 * What a mint may grant: known roles only, a lifetime within CANOPY_TOKEN_MAX_TTL_SECONDS, and
 * (for a caller who is not an admin of its tenant) only roles the caller holds itself.
 */

export function checkMintRequest(callerRoles: readonly string[] | "operator", roles: string[], ttlSeconds: number, maxTtl = maxTokenTtlSeconds()): void {
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length) throw badRequest(`unknown role${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}; known roles: admin, policy_author, approver, viewer, agent`, { unknown_roles: unknown });
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw badRequest("ttl must be a whole number of seconds, at least 1");
  if (ttlSeconds > maxTtl) {
    throw badRequest(`ttl ${ttlSeconds} s is longer than the maximum of ${maxTtl} s (CANOPY_TOKEN_MAX_TTL_SECONDS); mint a shorter-lived token`, { max_ttl_seconds: maxTtl });
  }
  if (callerRoles !== "operator" && !callerRoles.includes("admin")) {
    const extra = roles.filter((r) => !callerRoles.includes(r));
    if (extra.length) throw forbidden(`you cannot grant roles you do not hold: ${extra.join(", ")}`, { roles: extra });
  }
}

/**
 * Mints a token and records it at once (so it is listed and revocable before its first use).
 * `minter` is the caller's principal, or the operator's CLI (then `tenant` is given and must exist).
 * The token itself is returned this once; only its SHA-256 is stored.
 */

export async function issueToken(
  svc: Services,
  minter: { tenant: string; subject: string; roles: readonly string[] | "operator" },
  req: { subject: string; roles: string[]; ttlSeconds: number; name?: string },
  now: Date = new Date(),
) {
  checkMintRequest(minter.roles, req.roles, req.ttlSeconds);
  const { prisma } = await svc.db();
  if (!(await tenantExists(prisma, minter.tenant))) {
    throw notFound(`tenant ${minter.tenant} does not exist (a platform admin creates tenants: POST /api/admin/tenants)`);
  }
  const minted = await mintToken({ tenant: minter.tenant, subject: req.subject, roles: req.roles, ttlSeconds: req.ttlSeconds, now: Math.floor(now.getTime() / 1000) }, svc.tokenKeys);
  await svc.audit.append({
    tenant: minter.tenant,
    kind: "token_change",
    subject: minter.subject,
    decision: "allow",
    reason: `token ${minted.jti} minted for ${req.subject} (${req.roles.join(", ")}), expires ${minted.expiresAt.toISOString()}`,
    data: { action: "mint", jti: minted.jti, for_subject: req.subject, roles: req.roles, ttl_seconds: req.ttlSeconds, expires_at: minted.expiresAt.toISOString(), name: req.name ?? null },
  });
  await q.recordToken(prisma, {
    id: minted.jti,
    tenantId: minter.tenant,
    subject: req.subject,
    roles: req.roles,
    tokenHash: minted.tokenHash,
    expiresAt: minted.expiresAt,
    name: req.name,
    createdBy: minter.subject,
  });
  const row = (await q.getTenantToken(prisma, minter.tenant, minted.jti))!;
  return { ...view(row, now), token: minted.token };
}

/** POST /api/admin/tokens: a token for the caller's own tenant. */

export async function mintTokenFor(svc: Services, principal: Principal, body: MintTokenBody) {
  return issueToken(svc, principal, { subject: body.subject, roles: body.roles, ttlSeconds: body.ttl_seconds, name: body.name });
}


function encodeCursor(t: { createdAt: Date; id: string }) {
  return Buffer.from(JSON.stringify([t.createdAt.toISOString(), t.id])).toString("base64url");
}


function decodeCursor(c: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== "string" || Number.isNaN(createdAt.getTime())) throw new Error("bad cursor");
    return { createdAt, id };
  } catch {
    throw badRequest("cursor is not a next_cursor of this list; start again without it");
  }
}

/** A tenant's tokens, newest first, a page at a time (never the token or its hash). */

export async function listTokens(svc: Services, tenant: string, query: TokenListQuery, now: Date = new Date()) {
  const { prisma } = await svc.db();
  const rows = await q.listTenantTokens(prisma, tenant, { limit: query.limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined });
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  return { tokens: page.map((r) => view(r, now)), next_cursor: more ? encodeCursor(page[page.length - 1]) : null };
}

/**
 * Revokes a token of `tenant` (another tenant's id is "not found"). The revocation is written
 * first and takes effect at once on every replica (see TokenGuard); then it is audited. Revoking
 * a revoked token changes nothing and says so.
 */

export async function revokeTokenOf(svc: Services, tenant: string, id: string, actor: string, now: Date = new Date()) {
  const { prisma } = await svc.db();
  const row = await q.getTenantToken(prisma, tenant, id);
  if (!row) throw notFound(`token ${id} not found in tenant ${tenant} (GET /api/admin/tokens lists them)`);
  if (row.revokedAt) return { token: view(row, now), already_revoked: true };
  // Revoking must not wait on the audit log: a token someone wants dead stops working first.
  await q.revokeToken(prisma, tenant, id, now, actor);
  await svc.tokenGuard.revoke(id);
  const after = (await q.getTenantToken(prisma, tenant, id))!;
  try {
    await svc.audit.append({
      tenant,
      kind: "token_change",
      subject: actor,
      decision: "allow",
      reason: `token ${id} of ${row.subject} revoked`,
      data: { action: "revoke", jti: id, for_subject: row.subject, roles: row.roles, name: row.name },
    });
  } catch (err) {
    throw new AppError(503, "audit_unavailable", `token ${id} was revoked and no longer works, but the audit log could not record it: ${(err as Error).message}`);
  }
  return { token: view(after, now), already_revoked: false };
}

/** DELETE /api/admin/tokens/{id}: revokes a token of the caller's own tenant. */

export async function revokeTokenFor(svc: Services, principal: Principal, id: string) {
  return revokeTokenOf(svc, principal.tenant, id, principal.subject);
}
