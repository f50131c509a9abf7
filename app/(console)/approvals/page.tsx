import type { Metadata } from "next";
import { ApprovalInbox } from "@/components/approval-inbox";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Approvals" };

/** The approval inbox. The console layout has already required a signed-in user; the API decides who may vote. */
export default async function Page({ searchParams }: { searchParams: Promise<{ id?: string | string[] }> }) {
  const { id } = await searchParams;
  return (
    <>
      <PageHeader title="Approvals" description="Calls waiting for a human decision, N-of-M, with deny precedence." />
      <ApprovalInbox focusId={typeof id === "string" ? id : undefined} />
    </>
  );
}
