import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Approvals" };

export default function Page() {
  return (
    <>
      <PageHeader title="Approvals" description="Calls waiting for a human decision, N-of-M, with deny precedence." />
      <EmptyState title="No approvals waiting">
        <p>When a policy rule says <code className="font-mono">action: approval</code>, the call waits here for the approver group to decide.</p>
      </EmptyState>
    </>
  );
}
