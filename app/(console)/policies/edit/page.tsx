import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { PolicyStudio } from "@/components/policy-studio";
import { editorSchema } from "@/lib/console/editor-schema";
import { requireConsoleUser } from "@/lib/console/session";
import { serverSigningKey } from "@/lib/policy-store/server-signing";
import { services } from "@/lib/server";
import { policyJsonSchema } from "@/lib/policy";

export const metadata: Metadata = { title: "Policy studio" };

export default async function PolicyEditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const num = (k: string) => {
    const v = Number(typeof params[k] === "string" ? params[k] : NaN);
    return Number.isInteger(v) && v > 0 ? v : undefined;
  };
  const tab = typeof params.tab === "string" && ["tests", "diff", "apply", "history"].includes(params.tab) ? (params.tab as "tests" | "diff" | "apply" | "history") : undefined;
  const user = await requireConsoleUser();
  if (!user.tenant) {
    return (
      <>
        <PageHeader title="Policy studio" />
        <EmptyState title="No tenant">Ask an admin to add you to a tenant.</EmptyState>
      </>
    );
  }
  const has = (p: (typeof user.permissions)[number]) => user.permissions.includes(p);
  return (
    <>
      <PageHeader
        title="Policy studio"
        description={`Edit ${user.tenant}'s policy with completion and the server's validator, see how it decides recorded calls as you type, diff it, then apply or roll back.`}
        actions={
          <Link href="/policies" className="text-sm font-medium text-canopy-700 underline">
            Back to policies
          </Link>
        }
      />
      <PolicyStudio
        tenant={user.tenant}
        user={{ id: user.id, name: user.name }}
        can={{ write: has("policies.write"), apply: has("policies.apply"), simulate: has("policies.simulate"), readAudit: has("audit.read"), sign: has("policies.sign") && Boolean(serverSigningKey(services().env)) }}
        initial={{ tab, diffVersion: num("diff"), fromVersion: num("from") }}
        // The engine's own schema, built on the server and handed to the editor (no API route, no copy).
        schema={editorSchema(policyJsonSchema())}
      />
    </>
  );
}
