import type { Services } from "@/lib/server/types";
import type { Principal } from "@/lib/auth/principal";
import { requirePlatformAdmin, isPlatformAdmin } from "@/lib/auth/platform";
import { callsPerBucket, dailySpend } from "@/lib/db/activity";
import { createTenantRow, getTenant, listTenants, setTenantSuspended } from "@/lib/db/tenants";
import { platformTenant } from "@/lib/env";
import { AppError, conflict, notFound } from "@/lib/errors";
import type { CreateTenantBody, PatchTenantBody, TenantActivity, TenantView } from "./schemas";

const view = (t: { id: string; name: string; createdAt: Date; suspendedAt: Date | null; suspendedBy: string | null }): TenantView => ({
  id: t.id,
  name: t.name,
  created_at: t.createdAt.toISOString(),
  suspended_at: t.suspendedAt?.toISOString() ?? null,
  suspended_by: t.suspendedBy,
});

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

/**
 * Suspends or resumes a tenant (platform admins). A suspended tenant's tokens and console sessions
 * are refused; nothing is deleted. The platform tenant itself cannot be suspended (nobody could
 * resume it). Audited in both chains, before the change.
 */
export async function patchTenant(svc: Services, principal: Principal, body: PatchTenantBody, now: Date = new Date()): Promise<TenantView> {
  requirePlatformAdmin(principal, "suspending, resuming or renaming a tenant");
  const { prisma } = await svc.db();
  const before = await getTenant(prisma, body.id);
  if (!before) throw notFound(`tenant ${body.id} does not exist`);
  if (body.suspended && body.id === platformTenant()) {
    throw new AppError(409, "platform_tenant", `${body.id} is the platform tenant: suspending it would lock every platform admin out`);
  }
  const action = body.suspended === undefined ? "rename" : body.suspended ? "suspend" : "resume";
  const data = { tenant: body.id, action, ...(body.name ? { name: body.name } : {}) };
  await svc.audit.append({ tenant: body.id, kind: "tenant_change", subject: principal.subject, decision: "allow", reason: `tenant ${body.id}: ${action} by ${principal.subject} of ${principal.tenant}`, data });
  if (principal.tenant !== body.id) await svc.audit.append({ tenant: principal.tenant, kind: "tenant_change", subject: principal.subject, decision: "allow", reason: `tenant ${body.id}: ${action}`, data });
  if (body.name) await prisma.tenant.update({ where: { id: body.id }, data: { name: body.name } });
  const after = body.suspended === undefined ? await getTenant(prisma, body.id) : await setTenantSuspended(prisma, body.id, body.suspended, principal.subject, now);
  svc.tokenGuard.forgetTenant(body.id);
  return view(after!);
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Calls per minute (last `minutes`) and spend per day vs the daily budget (last `days`), as buckets from SQL. */
export async function tenantActivity(svc: Services, tenant: string, q: { minutes: number; days: number }, now: Date = new Date()): Promise<TenantActivity> {
  const { prisma } = await svc.db();
  const to = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  const from = new Date(to.getTime() - q.minutes * 60_000);
  const [buckets, config] = await Promise.all([callsPerBucket(prisma, tenant, from, to, "minute"), svc.quotas.getConfig(tenant)]);
  const byMinute = new Map(buckets.map((b) => [b.at.getTime(), b.count]));
  const calls = Array.from({ length: q.minutes }, (_, i) => {
    const at = from.getTime() + i * 60_000;
    return { at: new Date(at).toISOString(), calls: byMinute.get(at) ?? 0 };
  });
  const days = Array.from({ length: q.days }, (_, i) => day(now.getTime() - (q.days - 1 - i) * 86_400_000));
  const spend = await dailySpend(prisma, tenant, days);
  // Today's figure is live in the quota store; the persisted one lags by the flush interval.
  const live = await svc.quotas.getUsage(tenant, [], now.getTime());
  spend[spend.length - 1] = { day: days[days.length - 1], usd: Math.max(spend[spend.length - 1].usd, live.day.spent_usd), requests: Math.max(spend[spend.length - 1].requests, live.day.requests) };
  return { tenant, calls_per_minute: calls, daily_spend: spend, daily_budget_usd: config.daily_budget_usd ?? null };
}
