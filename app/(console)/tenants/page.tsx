import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Tenants" };

export default function Page() {
  return (
    <>
      <PageHeader title="Tenants" description="Tenants, their quotas and budgets." />
      <EmptyState title="Tenant management is not here yet">
        <p>The demo tenant is created at first start. Quotas and budgets are set per tenant with <code className="font-mono">PUT /admin/tenants/&lbrace;tenant&rbrace;/quotas</code>.</p>
      </EmptyState>
    </>
  );
}
