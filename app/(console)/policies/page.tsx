import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Policies" };

export default function Page() {
  return (
    <>
      <PageHeader title="Policies" description="Versions, the policy editor with live simulation and diff, and rollouts." />
      <EmptyState title="No policy editor yet">
        <p>The active policy is loaded from POLICY_PATH at first start. Until the editor lands, validate and simulate with <code className="font-mono">npx canopy policy validate FILE</code> and <code className="font-mono">npx canopy policy simulate</code>.</p>
      </EmptyState>
    </>
  );
}
