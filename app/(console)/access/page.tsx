import type { Metadata } from "next";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Access" };

export default function Page() {
  return (
    <>
      <PageHeader title="Access" description="Users, roles, approver groups and API tokens of this tenant." />
      <EmptyState title="Access management is not here yet">
        <p>Assign roles with <code className="font-mono">PUT /admin/rbac/&lbrace;tenant&rbrace;/users/&lbrace;user&rbrace;</code> and mint agent tokens with <code className="font-mono">npx canopy mint-token</code>.</p>
      </EmptyState>
    </>
  );
}
