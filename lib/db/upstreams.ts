import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient } from "./generated/client";

/**
 * Admin-managed upstream MCP servers (table upstream_servers). Rows are plain data here: the
 * upstreams module validates them (HTTP only, secrets as references) before anything connects.
 */

/** One stored upstream, as read. JSON columns are unknown until validated. */
export interface UpstreamRow {
  id: string;
  /** null: available to every tenant (written by operators, never through the tenant admin API). */
  tenantId: string | null;
  name: string;
  transport: string;
  command: string | null;
  url: string | null;
  headers: unknown;
  /** Everything else of the server's config: { tools, facts, timeout_ms, tenants }. */
  toolMappings: unknown;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What an admin writes: HTTP upstreams only (a command would run on the gateway host). */
export interface UpstreamWrite {
  tenantId: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  toolMappings: Record<string, unknown>;
  enabled: boolean;
}

const select = {
  id: true,
  tenantId: true,
  name: true,
  transport: true,
  command: true,
  url: true,
  headers: true,
  toolMappings: true,
  enabled: true,
  createdAt: true,
  updatedAt: true,
} as const;

const order = [{ tenantId: "asc" as const }, { name: "asc" as const }];

/** Every stored upstream of every tenant (the registry's source; the table is small). */
export async function listUpstreamRows(prisma: PrismaClient): Promise<UpstreamRow[]> {
  return prisma.upstreamServer.findMany({ select, orderBy: order });
}

/** The tenant's own upstreams and those stored for every tenant (tenant_id null). */
export async function listUpstreamRowsVisibleTo(prisma: PrismaClient, tenantId: string): Promise<UpstreamRow[]> {
  return prisma.upstreamServer.findMany({ where: { OR: [{ tenantId }, { tenantId: null }] }, select, orderBy: order });
}

export async function getUpstreamRow(prisma: PrismaClient, tenantId: string, name: string): Promise<UpstreamRow | null> {
  return prisma.upstreamServer.findUnique({ where: { tenantId_name: { tenantId, name } }, select });
}

/** Creates or replaces the tenant's upstream of that name (every column rewritten). */
export async function putUpstreamRow(prisma: PrismaClient, w: UpstreamWrite): Promise<{ row: UpstreamRow; created: boolean }> {
  const data = {
    transport: "http",
    command: null,
    args: [],
    env: Prisma.DbNull,
    cwd: null,
    url: w.url,
    headers: w.headers as Prisma.InputJsonValue,
    toolMappings: w.toolMappings as Prisma.InputJsonValue,
    enabled: w.enabled,
  };
  return prisma.$transaction(async (tx) => {
    const existing = await tx.upstreamServer.findUnique({ where: { tenantId_name: { tenantId: w.tenantId, name: w.name } }, select: { id: true } });
    if (existing) {
      const row = await tx.upstreamServer.update({ where: { id: existing.id }, data, select });
      return { row, created: false };
    }
    const row = await tx.upstreamServer.create({ data: { id: randomUUID(), tenantId: w.tenantId, name: w.name, ...data }, select });
    return { row, created: true };
  });
}

/** Deletes the tenant's upstream of that name; the deleted row, or null when there was none. */
export async function deleteUpstreamRow(prisma: PrismaClient, tenantId: string, name: string): Promise<UpstreamRow | null> {
  const rows = await prisma.upstreamServer.findMany({ where: { tenantId, name }, select });
  if (rows.length === 0) return null;
  await prisma.upstreamServer.deleteMany({ where: { tenantId, name } });
  return rows[0];
}

/** Whether a unique-constraint violation (a concurrent create of the same name) caused `err`. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2002";
}
