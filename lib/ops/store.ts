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

/** Over a client, or over the composition root's lazily opened one (the database is opened on first use). */
export function prismaTargetStore(client: PrismaClient | (() => Promise<PrismaClient>)): OpsTargetStore {
  const prisma = async () => (typeof client === "function" ? client() : client);
  return {
    get: async (tenant, id) => getOpsTargetRow(await prisma(), tenant, id),
    list: async (tenant, opts) => listOpsTargetRows(await prisma(), tenant, opts),
    count: async (tenant) => countOpsTargetRows(await prisma(), tenant),
    create: async (tenant, id, write, by) => createOpsTargetRow(await prisma(), tenant, id, write, by),
    update: async (tenant, id, write, by, ifUpdatedAt) => updateOpsTargetRow(await prisma(), tenant, id, write, by, ifUpdatedAt),
    remove: async (tenant, id) => deleteOpsTargetRow(await prisma(), tenant, id),
  };
}
