import type { PrismaClient } from "./generated/client";

export interface NewPolicyVersion {
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

/** Stores a version and rolls it out to every tenant, in one transaction. */
export async function createVersionRolledOutToAll(prisma: PrismaClient, v: NewPolicyVersion) {
  return prisma.$transaction(async (tx) => {
    const version = await tx.policyVersion.create({ data: v });
    await tx.policyRollout.create({ data: { versionId: version.id, strategy: "all", createdBy: v.author, tenants: [] } });
    return version;
  });
}

/**
 * The version a tenant runs: its pin, else the newest rollout that covers it. Rollout strategies
 * beyond `all` are decided by the rollout capability; here a tenant falls back to the newest `all`.
 */
export async function activeVersionFor(prisma: PrismaClient, tenantId: string) {
  const pin = await prisma.tenantPolicyPin.findUnique({ where: { tenantId }, include: { version: true } });
  if (pin) return pin.version;
  const rollout = await prisma.policyRollout.findFirst({
    where: { OR: [{ strategy: "all" }, { strategy: "explicit", tenants: { has: tenantId } }] },
    orderBy: { id: "desc" },
    include: { version: true },
  });
  return rollout?.version ?? null;
}

export async function latestVersion(prisma: PrismaClient) {
  return prisma.policyVersion.findFirst({ orderBy: { id: "desc" } });
}

export async function getVersion(prisma: PrismaClient, id: number) {
  return prisma.policyVersion.findUnique({ where: { id } });
}

/** The newest version loaded from the policy file at start (author "system"). */
export async function latestFileVersion(prisma: PrismaClient) {
  return prisma.policyVersion.findFirst({ where: { author: "system" }, orderBy: { id: "desc" } });
}
