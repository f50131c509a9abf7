/** The targets store createOps takes, over lib/db's tenant-scoped queries. */
import type { PrismaClient } from "@/lib/db";
import {
  countOpsTargetRows,
  createOpsTargetRow,
  deleteOpsTargetRow,
  getOpsTargetRow,
  listOpsTargetRows,
  type OpsTargetRow,
  type OpsTargetWrite,
  updateOpsTargetRow,
} from "@/lib/db/ops-targets";

export interface OpsTargetStore {
  get(tenant: string, id: string): Promise<OpsTargetRow | null>;
  list(tenant: string, opts: { limit: number; after?: string }): Promise<OpsTargetRow[]>;
  count(tenant: string): Promise<number>;
  create(tenant: string, id: string, write: OpsTargetWrite, by: string): Promise<OpsTargetRow | null>;
  update(tenant: string, id: string, write: OpsTargetWrite, by: string, ifUpdatedAt?: Date): Promise<OpsTargetRow | null>;
  remove(tenant: string, id: string): Promise<boolean>;
}

export function prismaTargetStore(prisma: PrismaClient): OpsTargetStore {
  return {
    get: (tenant, id) => getOpsTargetRow(prisma, tenant, id),
    list: (tenant, opts) => listOpsTargetRows(prisma, tenant, opts),
    count: (tenant) => countOpsTargetRows(prisma, tenant),
    create: (tenant, id, write, by) => createOpsTargetRow(prisma, tenant, id, write, by),
    update: (tenant, id, write, by, ifUpdatedAt) => updateOpsTargetRow(prisma, tenant, id, write, by, ifUpdatedAt),
    remove: (tenant, id) => deleteOpsTargetRow(prisma, tenant, id),
  };
}
