import type { Metadata } from "next";
import Link from "next/link";
import { AccessMembers } from "@/components/access-members";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { requireConsoleUser } from "@/lib/console/session";

export const metadata: Metadata = { title: "Access" };

export default async function Page() {
  const user = await requireConsoleUser();
  const canRead = user.permissions.includes("rbac.read");
  return (
    <>
      <PageHeader title="Access" description="Members of this tenant: roles, approver groups and Slack ids. Everything here is per tenant."
        actions={user.permissions.includes("tokens.manage") ? <Link href="/access/tokens" className="text-sm font-medium text-canopy-700 underline">API tokens</Link> : undefined} />
      {user.tenant && canRead ? (
        <AccessMembers tenant={user.tenant} canManage={user.permissions.includes("rbac.manage")} />
      ) : (
        <EmptyState title="You cannot see this tenant's members">
          <p>Your roles in {user.tenant ?? "no tenant"} do not include reading memberships.</p>
        </EmptyState>
      )}
    </>
  );
}
