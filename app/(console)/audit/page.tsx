import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Audit" };

export default function Page() {
  return (
    <>
      <PageHeader title="Audit" description="The tamper-evident record of every decision, searchable and verifiable." />
      <EmptyState title="No audit records to show yet">
        <p>Every tool decision, approval, policy change and login will be recorded here in a hash chain you can verify.</p>
      </EmptyState>
    </>
  );
}
