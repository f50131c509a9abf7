import type { Metadata } from "next";
import { BreakGlassPanel } from "@/components/break-glass-panel";
import { EmptyState } from "@/components/empty-state";
import { OpsTargetsConsole } from "@/components/ops-targets-console";
import { PageHeader } from "@/components/page-header";
import { requireConsoleUser } from "@/lib/console/session";

export const metadata: Metadata = { title: "Targets" };

export default async function Page() {
  const user = await requireConsoleUser();
  return (
    <>
      <PageHeader title="Targets"
        description={`Where ops tools run in ${user.tenant ?? "—"}: the role and maintenance windows here are what policies decide on (never the caller's word). Credentials are secret names.`} />
      {user.permissions.includes("ops.targets.read") ? (
        <div className="space-y-6">
          <OpsTargetsConsole canManage={user.permissions.includes("ops.targets.manage")} />
          <BreakGlassPanel canManage={user.permissions.includes("ops.emergency.manage")} />
        </div>
      ) : (
        <EmptyState title="No access to targets"><p>Ask an admin of {user.tenant ?? "your tenant"} for a viewer role.</p></EmptyState>
      )}
    </>
  );
}
