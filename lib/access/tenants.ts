import type { Services } from "@/lib/server/types";
import type { Principal } from "@/lib/auth/principal";
import { requirePlatformAdmin, isPlatformAdmin } from "@/lib/auth/platform";
import { createTenantRow, getTenant, listTenants } from "@/lib/db/tenants";
import { conflict } from "@/lib/errors";
import type { CreateTenantBody, TenantView } from "./schemas";

const view = (t: { id: string; name: string; createdAt: Date }): TenantView => ({ id: t.id, name: t.name, created_at: t.createdAt.toISOString() });

/**
 * Creates a tenant (platform admins only). Audited in the platform tenant's chain and as the first
 * record of the new tenant's own chain; when the audit log cannot take it, nothing is created.
 */
export async function createTenant(svc: Services, principal: Principal, body: CreateTenantBody): Promise<TenantView> {
  requirePlatformAdmin(principal, "creating a tenant");
  const { prisma } = await svc.db();
  if (await getTenant(prisma, body.id)) throw conflict(`tenant ${body.id} already exists`);
  const name = body.name ?? body.id;
  const data = { tenant: body.id, name, action: "create" };
  await svc.audit.append({ tenant: principal.tenant, kind: "tenant_change", subject: principal.subject, decision: "allow", reason: `tenant ${body.id} created`, data });
  const row = await createTenantRow(prisma, body.id, name).catch((err: { code?: string }) => {
    if (err.code === "P2002") throw conflict(`tenant ${body.id} already exists`);
    throw err;
  });
  await svc.audit.append({ tenant: body.id, kind: "tenant_change", subject: principal.subject, decision: "allow", reason: `tenant created by ${principal.subject} of ${principal.tenant}`, data });
  return view(row);
}

/** Platform admins see every tenant; everyone else sees their own. */

export async function listTenantsFor(svc: Services, principal: Principal): Promise<{ tenants: TenantView[] }> {
  const { prisma } = await svc.db();
  if (isPlatformAdmin(principal)) return { tenants: (await listTenants(prisma)).map(view) };
  const own = await getTenant(prisma, principal.tenant);
  return { tenants: own ? [view(own)] : [] };
}
