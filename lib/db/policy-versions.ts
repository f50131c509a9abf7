import type { PrismaClient } from "./generated/client";
import { rolloutCovers, resolveVersionId, type RolloutStrategy, type RolloutCoverage, type RolloutState } from "@/lib/policy/rollout";

export interface NewPolicyVersion {
  /** The owning tenant; null (or absent) for a platform version. */
  tenantId?: string | null;
  yaml: string;
  hash: string;
  signature?: string | null;
  verified: boolean;
  author: string;
  message?: string;
}

export async function countPolicyVersions(prisma: PrismaClient) {
  return prisma.policyVersion.count();
}

/** Stores a platform version and rolls it out to every tenant, in one transaction. */
export async function createVersionRolledOutToAll(prisma: PrismaClient, v: NewPolicyVersion) {
  return prisma.$transaction(async (tx) => {
    const version = await tx.policyVersion.create({ data: { ...v, tenantId: null } });
    await tx.policyRollout.create({ data: { versionId: version.id, strategy: "all", createdBy: v.author, tenants: [] } });
    return version;
  });
}

const coverageSelect = { id: true, versionId: true, strategy: true, canaryPercent: true, tenants: true } as const;

/** Rollouts from the newest `all` on, newest first; optionally only those that can cover one tenant. */
async function recentRollouts(prisma: PrismaClient, tenantId?: string): Promise<RolloutCoverage[]> {
  const stable = await prisma.policyRollout.findFirst({ where: { strategy: "all" }, orderBy: { id: "desc" }, select: coverageSelect });
  const newer = await prisma.policyRollout.findMany({
    where: {
      id: { gt: stable?.id ?? 0 },
      OR: tenantId
        ? [{ strategy: "canary_percent" }, { strategy: "explicit", tenants: { has: tenantId } }]
        : [{ strategy: "canary_percent" }, { strategy: "explicit" }],
    },
    orderBy: { id: "desc" },
    select: coverageSelect,
  });
  return stable ? [...newer, stable] : newer;
}

/**
 * The version a tenant runs: its pin, else the newest rollout that covers it (an `explicit` rollout
 * listing it, a canary whose hash bucket includes it, or `all`).
 */
export async function activeVersionFor(prisma: PrismaClient, tenantId: string) {
  const pin = await prisma.tenantPolicyPin.findUnique({ where: { tenantId }, include: { version: true } });
  if (pin) return pin.version;
  const id = resolveVersionId({ pins: new Map(), recent: await recentRollouts(prisma, tenantId) }, tenantId);
  return id === null ? null : prisma.policyVersion.findUnique({ where: { id } });
}

/** Everything needed to resolve every tenant's version in memory (see resolveVersionId). */
export async function rolloutState(prisma: PrismaClient): Promise<RolloutState> {
  const pins = await prisma.tenantPolicyPin.findMany({ select: { tenantId: true, versionId: true } });
  return { pins: new Map(pins.map((p) => [p.tenantId, p.versionId])), recent: await recentRollouts(prisma) };
}

/** The version the fleet would give a tenant without pins or explicit listings: the newest covering canary or `all`. */
export async function fleetVersionIdFor(prisma: PrismaClient, tenantId: string): Promise<number | null> {
  const recent = (await recentRollouts(prisma)).filter((r) => r.strategy !== "explicit");
  return resolveVersionId({ pins: new Map(), recent }, tenantId);
}

/** Rollouts covering a tenant, newest first (its history, as far as rollouts tell), at most `limit` looked at. */
export async function rolloutsCovering(prisma: PrismaClient, tenantId: string, limit = 1000): Promise<RolloutCoverage[]> {
  const rows = await prisma.policyRollout.findMany({
    where: { OR: [{ strategy: "all" }, { strategy: "canary_percent" }, { strategy: "explicit", tenants: { has: tenantId } }] },
    orderBy: { id: "desc" },
    take: limit,
    select: coverageSelect,
  });
  return rows.filter((r) => rolloutCovers(r, tenantId));
}

export async function pinOf(prisma: PrismaClient, tenantId: string) {
  return prisma.tenantPolicyPin.findUnique({ where: { tenantId } });
}

/** Versions a tenant may use: its own and the platform's (tenantId null). */
export function visibleTo(tenantId: string) {
  return { OR: [{ tenantId: null }, { tenantId }] };
}

/** The newest version with this content hash in exactly one scope (a tenant's, or the platform's with null). */
export async function findVersionByHash(prisma: PrismaClient, hash: string, owner: string | null) {
  return prisma.policyVersion.findFirst({ where: { hash, tenantId: owner }, orderBy: { id: "desc" } });
}

/** The owner (tenant id, or null for the platform) of each of the given versions that exists. */
export async function versionOwners(prisma: PrismaClient, ids: number[]): Promise<Map<number, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await prisma.policyVersion.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, tenantId: true } });
  return new Map(rows.map((r) => [r.id, r.tenantId]));
}

export async function createVersion(prisma: PrismaClient, v: NewPolicyVersion) {
  return prisma.policyVersion.create({ data: v });
}

/** Records a (newly) verified signature on an existing version. */
export async function setVersionSignature(prisma: PrismaClient, id: number, signature: string, verified: boolean) {
  return prisma.policyVersion.update({ where: { id }, data: { signature, verified } });
}

/** Of the given tenant ids, those that do not exist. */
export async function missingTenants(prisma: PrismaClient, ids: string[]): Promise<string[]> {
  const found = await prisma.tenant.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const have = new Set(found.map((t) => t.id));
  return ids.filter((id) => !have.has(id));
}

export async function allTenantIds(prisma: PrismaClient): Promise<string[]> {
  return (await prisma.tenant.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((t) => t.id);
}

/** A rollout id drawn before the rollout is written (the audit record names it, and canary buckets depend on it). */
export async function reserveRolloutId(prisma: PrismaClient): Promise<number> {
  const rows = await prisma.$queryRaw<{ id: bigint | number }[]>`SELECT nextval(pg_get_serial_sequence('policy_rollouts', 'id')) AS id`;
  return Number(rows[0].id);
}

export interface NewRollout {
  id?: number;
  versionId: number;
  strategy: RolloutStrategy;
  canaryPercent?: number | null;
  tenants?: string[];
  createdBy: string;
  /** Tenants to pin to the version (explicit apply). */
  pin?: string[];
  /** Tenants whose pin is removed. */
  unpin?: string[];
}

/** Writes a rollout and its pin changes in one transaction. */
export async function createRollout(prisma: PrismaClient, r: NewRollout) {
  return prisma.$transaction(async (tx) => {
    const rollout = await tx.policyRollout.create({
      data: { ...(r.id ? { id: r.id } : {}), versionId: r.versionId, strategy: r.strategy, canaryPercent: r.canaryPercent ?? null, tenants: r.tenants ?? [], createdBy: r.createdBy },
    });
    for (const tenantId of r.pin ?? []) {
      await tx.tenantPolicyPin.upsert({
        where: { tenantId },
        create: { tenantId, versionId: r.versionId, pinnedBy: r.createdBy },
        update: { versionId: r.versionId, pinnedBy: r.createdBy, pinnedAt: new Date() },
      });
    }
    if (r.unpin?.length) await tx.tenantPolicyPin.deleteMany({ where: { tenantId: { in: r.unpin } } });
    return rollout;
  });
}

/** Versions newest first, each with its rollouts and pins; only those `visibleToTenant` may use when given. */
export async function listVersionsWithRollouts(prisma: PrismaClient, opts: { limit: number; beforeId?: number; visibleToTenant?: string }) {
  return prisma.policyVersion.findMany({
    where: {
      ...(opts.beforeId ? { id: { lt: opts.beforeId } } : {}),
      ...(opts.visibleToTenant !== undefined ? visibleTo(opts.visibleToTenant) : {}),
    },
    orderBy: { id: "desc" },
    take: opts.limit,
    select: {
      id: true,
      tenantId: true,
      hash: true,
      author: true,
      message: true,
      createdAt: true,
      signature: true,
      verified: true,
      rollouts: { orderBy: { id: "desc" }, select: { id: true, strategy: true, canaryPercent: true, tenants: true, createdBy: true, createdAt: true } },
      pins: { orderBy: { tenantId: "asc" }, select: { tenantId: true, pinnedBy: true, pinnedAt: true } },
    },
  });
}

/** The fleet's stable version: the one the newest `all` rollout carries (always a platform version). */
export async function stableVersion(prisma: PrismaClient) {
  const r = await prisma.policyRollout.findFirst({ where: { strategy: "all" }, orderBy: { id: "desc" }, select: { version: true } });
  return r?.version ?? null;
}

/** The newest version of one scope: a tenant's own (its id), or the platform's (null). */
export async function latestVersionOf(prisma: PrismaClient, owner: string | null) {
  return prisma.policyVersion.findFirst({ where: { tenantId: owner }, orderBy: { id: "desc" } });
}

export async function getVersion(prisma: PrismaClient, id: number) {
  return prisma.policyVersion.findUnique({ where: { id } });
}

/** The newest version loaded from the policy file at start (a platform version by author "system"). */
export async function latestFileVersion(prisma: PrismaClient) {
  return prisma.policyVersion.findFirst({ where: { author: "system", tenantId: null }, orderBy: { id: "desc" } });
}
