import type { Metadata } from "next";
import { AuditExplorer } from "@/components/audit-explorer";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { auditFiltersFromParams } from "@/lib/audit/filter-params";
import { requireConsoleUser } from "@/lib/console/session";

export const metadata: Metadata = { title: "Audit" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [user, params] = await Promise.all([requireConsoleUser(), searchParams]);
  const canRead = user.permissions.includes("audit.read");
  return (
    <>
      <PageHeader title="Audit" description="The tamper-evident record of every decision, searchable and verifiable." />
      {!user.tenant || !canRead ? (
        <EmptyState title="You cannot read this tenant's audit log">
          <p>Reading the audit log needs the audit.read permission (roles admin, policy_author, approver or viewer).</p>
        </EmptyState>
      ) : (
        <AuditExplorer tenant={user.tenant} canExport={user.permissions.includes("audit.export")} initialFilters={auditFiltersFromParams(params)} />
      )}
    </>
  );
}
