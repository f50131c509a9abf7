import type { Principal } from "@/lib/auth";
import type { PrismaClient } from "@/lib/db";
import { getVersion } from "@/lib/db/policy-versions";
import { AppError, notFound } from "@/lib/errors";

/**
 * Who a stored policy version belongs to. The rules, in one place:
 *
 * - A version is owned by one tenant (`tenantId`) or by the platform (`tenantId` null).
 * - Platform versions: the policy file loaded at start, and every version stored by an apply that
 *   reaches tenants other than the caller's (strategy `all`, `canary_percent`, or `explicit`
 *   naming another tenant; only the platform tenant's authors may do those).
 * - Tenant versions: stored by an apply that pins only the caller's own tenant (strategy
 *   `explicit`, `tenants_csv` = the caller's tenant). That holds for the platform tenant too:
 *   its authors pinning only the platform tenant store a version private to it, which a fleet
 *   rollout will not pick up until its YAML is applied with strategy `all`/`canary_percent`.
 * - A tenant may read, diff against, pin and roll back to its own versions and platform versions
 *   only; any other id is "not found" (404, so it does not reveal that the version exists).
 * - Rollouts that reach other tenants (all, canary_percent, pins of other tenants) roll out
 *   platform versions only: other tenants cannot read a tenant's own versions.
 */
export type VersionScope = "platform" | "tenant";

export interface Owned {
  id: number;
  tenantId: string | null;
}

export const scopeOf = (v: Owned): VersionScope => (v.tenantId === null ? "platform" : "tenant");

/** Whether `tenant` may see and use the version: its own or a platform version. */
export const usableBy = (v: Owned, tenant: string): boolean => v.tenantId === null || v.tenantId === tenant;

/** "platform" or "tenant X": for messages. */
export const ownerLabel = (owner: string | null) => (owner === null ? "platform" : `tenant ${owner}`);

export const versionMissing = (id: number) => notFound(`policy version ${id} does not exist (see GET /api/v1/policy/versions)`);

/** A stored version the caller may use, or 404 (also for another tenant's version: it is not revealed). */
export async function usableVersion(prisma: PrismaClient, principal: Principal, id: number) {
  const row = await getVersion(prisma, id);
  if (!row || !usableBy(row, principal.tenant)) throw versionMissing(id);
  return row;
}

/** Rollouts that reach other tenants roll out platform versions only (409 with how to publish one). */
export function requirePlatformScope(v: Owned, what: string): void {
  if (v.tenantId === null) return;
  throw new AppError(
    409,
    "version_not_platform",
    `policy version ${v.id} belongs to tenant ${v.tenantId} alone; ${what} reaches other tenants and rolls out platform versions only. Apply its YAML with that strategy to store it as a platform version.`,
    { version: v.id, scope: "tenant", tenant: v.tenantId },
  );
}
