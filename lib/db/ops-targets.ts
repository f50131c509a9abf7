import { Prisma, type PrismaClient } from "./generated/client";

/**
 * Execution targets of the ops tools (table ops_targets). Every query takes the tenant: a target
 * is addressed by (tenant, id) and never visible from another tenant. Rows are plain data here;
 * lib/ops validates the JSON columns (windows, backend options) before anything connects.
 */

export interface OpsTargetRow {
  tenantId: string;
  id: string;
  name: string;
  backend: string;
  address: string | null;
  port: number | null;
  role: string;
  tags: string[];
  /** Unknown until validated by lib/ops. */
  maintenanceWindows: unknown;
  credentialRef: string | null;
  /** Unknown until validated by lib/ops. */
  options: unknown;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns an admin writes (already validated by lib/ops). */
export interface OpsTargetWrite {
  name: string;
  backend: string;
  address: string | null;
  port: number | null;
  role: string;
  tags: string[];
  maintenanceWindows: unknown[];
  credentialRef: string | null;
  options: Record<string, unknown>;
}

const select = {
  tenantId: true,
  id: true,
  name: true,
  backend: true,
  address: true,
  port: true,
  role: true,
  tags: true,
  maintenanceWindows: true,
  credentialRef: true,
  options: true,
  createdBy: true,
  updatedBy: true,
  createdAt: true,
  updatedAt: true,
} as const;

function data(w: OpsTargetWrite) {
  return {
    name: w.name,
    backend: w.backend,
    address: w.address,
    port: w.port,
    role: w.role,
    tags: w.tags,
    maintenanceWindows: w.maintenanceWindows as Prisma.InputJsonValue,
    credentialRef: w.credentialRef,
    options: w.options as Prisma.InputJsonValue,
  };
}

/** The tenant's targets by id, at most `limit`, after the id `after` (keyset paging). */
export async function listOpsTargetRows(prisma: PrismaClient, tenantId: string, opts: { limit: number; after?: string }): Promise<OpsTargetRow[]> {
  return prisma.opsTarget.findMany({
    where: { tenantId, ...(opts.after !== undefined ? { id: { gt: opts.after } } : {}) },
    select,
    orderBy: { id: "asc" },
    take: opts.limit,
  });
}

export async function countOpsTargetRows(prisma: PrismaClient, tenantId: string): Promise<number> {
  return prisma.opsTarget.count({ where: { tenantId } });
}

export async function getOpsTargetRow(prisma: PrismaClient, tenantId: string, id: string): Promise<OpsTargetRow | null> {
  return prisma.opsTarget.findUnique({ where: { tenantId_id: { tenantId, id } }, select });
}

/** Creates the target; null when the tenant already has one with that id (nothing changed). */
export async function createOpsTargetRow(prisma: PrismaClient, tenantId: string, id: string, w: OpsTargetWrite, by: string): Promise<OpsTargetRow | null> {
  try {
    return await prisma.opsTarget.create({ data: { tenantId, id, ...data(w), createdBy: by, updatedBy: by }, select });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") return null;
    throw e;
  }
}

/**
 * Replaces every column of the tenant's target. With `ifUpdatedAt`, only when the row is still
 * that version (a concurrent edit wins, this one is refused). Null when no row matched.
 */
export async function updateOpsTargetRow(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
  w: OpsTargetWrite,
  by: string,
  ifUpdatedAt?: Date,
): Promise<OpsTargetRow | null> {
  const r = await prisma.opsTarget.updateMany({
    where: { tenantId, id, ...(ifUpdatedAt ? { updatedAt: ifUpdatedAt } : {}) },
    data: { ...data(w), updatedBy: by },
  });
  if (r.count === 0) return null;
  return getOpsTargetRow(prisma, tenantId, id);
}

/** True when the tenant's target existed and is gone. */
export async function deleteOpsTargetRow(prisma: PrismaClient, tenantId: string, id: string): Promise<boolean> {
  const r = await prisma.opsTarget.deleteMany({ where: { tenantId, id } });
  return r.count > 0;
}
