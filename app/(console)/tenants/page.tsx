import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { TenantActivityCharts } from "@/components/tenant-activity-charts";
import { TenantList } from "@/components/tenant-list";
import { TenantQuotaForm } from "@/components/tenant-quota-form";
import { requireConsoleUser } from "@/lib/console/session";
import { platformTenant } from "@/lib/env";

export const metadata: Metadata = { title: "Tenants" };

export default async function Page() {
  const user = await requireConsoleUser();
  const platform = platformTenant();
  const platformAdmin = user.tenant === platform && user.roles.includes("admin");
  if (!user.tenant || !user.permissions.includes("tenants.read")) {
    return (
      <>
        <PageHeader title="Tenants" />
        <EmptyState title="You cannot see tenants"><p>Your roles do not include reading tenant settings.</p></EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Tenants" description={platformAdmin ? "Every tenant: create, suspend (never delete), and this tenant's quotas, budgets and activity." : "Your tenant's quotas, budgets and activity."} />
      <div className="space-y-6">
        <TenantList platformAdmin={platformAdmin} platformTenant={platform} />
        <TenantQuotaForm tenant={user.tenant} canManage={user.permissions.includes("quotas.manage")} />
        <TenantActivityCharts tenant={user.tenant} />
      </div>
    </>
  );
}
