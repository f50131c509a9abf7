import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { PolicyVersionsTable } from "@/components/policy-versions-table";
import { requireConsoleUser } from "@/lib/console/session";
import { describeActivePolicy, listPolicyVersions, versionsQuerySchema } from "@/lib/policy-store";
import { services } from "@/lib/server";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage() {
  const user = await requireConsoleUser();
  if (!user.tenant) {
    return (
      <>
        <PageHeader title="Policies" />
        <EmptyState title="No tenant">Ask an admin to add you to a tenant.</EmptyState>
      </>
    );
  }
  const svc = services();
  const principal = { kind: "session" as const, tenant: user.tenant, subject: user.id, roles: user.roles };
  const [active, versions] = await Promise.all([
    describeActivePolicy((await svc.db()).prisma, user.tenant).catch(() => null),
    listPolicyVersions(svc, principal, versionsQuerySchema.parse({ limit: 50 })),
  ]);
  // The version the tenant runs and the fleet's stable one stay in the table even when fifty newer ones push them off the page.
  const shown = new Set(versions.versions.map((v) => v.id));
  const missing = [...new Set([versions.active_version, versions.stable_version])].filter((id): id is number => id !== null && !shown.has(id));
  const extra = await Promise.all(missing.map((id) => listPolicyVersions(svc, principal, versionsQuerySchema.parse({ limit: 1, cursor: id + 1 }))));
  const rows = [...versions.versions, ...extra.flatMap((e) => e.versions.filter((v) => missing.includes(v.id)))];
  return (
    <>
      <PageHeader
        title="Policies"
        description="The policy your tenant runs, and every version with where it is rolled out. Diff, apply and roll back through the API (see the README)."
        actions={<Link href="/policies/edit" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-canopy-900">Open the policy studio</Link>}
      />
      {active ? (
        <section aria-labelledby="active-policy" className="mb-8 rounded-xl border border-slate-200 bg-white p-5">
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="active-policy" className="text-base font-semibold">
              Active: version {active.version}
            </h2>
            <p className="text-sm text-slate-600">
              {active.signed ? (active.verified ? "signed and verified" : "signed") : "unsigned"} · by {active.author} · {new Date(active.created_at).toLocaleString()}
            </p>
          </div>
          <p className="mt-1 break-all font-mono text-xs text-slate-500">sha256 {active.hash}</p>
          <pre className="mt-3 max-h-[28rem] overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{active.yaml}</pre>
        </section>
      ) : (
        <EmptyState title="No active policy">Every tool call of this tenant is denied until a policy is applied.</EmptyState>
      )}
      <PolicyVersionsTable versions={rows} />
    </>
  );
}
