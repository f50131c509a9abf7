import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/components/empty-state";
import { MintTokenForm } from "@/components/mint-token-form";
import { PageHeader } from "@/components/page-header";
import { TokenList } from "@/components/token-list";
import { maxTokenTtlSeconds } from "@/lib/auth/tokens";
import { requireConsoleUser } from "@/lib/console/session";

export const metadata: Metadata = { title: "API tokens" };

export default async function Page() {
  const user = await requireConsoleUser();
  return (
    <>
      <PageHeader title="API tokens" description={`Bearer tokens for agents in ${user.tenant ?? "—"}: shown once when minted, revocable at any time.`}
        actions={<Link href="/access" className="text-sm font-medium text-canopy-700 underline">Members</Link>} />
      {user.permissions.includes("tokens.manage") ? (
        <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
          <TokenList />
          <MintTokenForm maxTtlSeconds={maxTokenTtlSeconds()} />
        </div>
      ) : (
        <EmptyState title="Only admins manage tokens"><p>Ask an admin of {user.tenant ?? "your tenant"} to mint a token for your agent.</p></EmptyState>
      )}
    </>
  );
}
