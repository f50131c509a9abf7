import { formatDate } from "@/lib/console/format-date";
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
        description="The policy your tenant runs, where each version is rolled out, and every version's author, message and signature. Edit, diff, apply, promote and roll back in the policy studio."
        actions={<Link href="/policies/edit" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-canopy-900">Open the policy studio</Link>}
      />
      {active ? (
        <section aria-labelledby="active-policy" className="mb-8 rounded-xl border border-slate-200 bg-white p-5">
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="active-policy" className="text-base font-semibold">
              Active: version {active.version}
            </h2>
            <p className="text-sm text-slate-600">
              {active.signed ? (active.verified ? "signed and verified" : "signed") : "unsigned"} · by {active.author} · {formatDate(active.created_at)}
            </p>
          </div>
          <p className="mt-1 break-all font-mono text-xs text-slate-500">sha256 {active.hash}</p>
          <pre className="mt-3 max-h-[28rem] overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{active.yaml}</pre>
        </section>
      ) : (
        <EmptyState title="No active policy">Every tool call of this tenant is denied until a policy is applied.</EmptyState>
      )}
      <section aria-labelledby="rollout-state" className="mb-8 rounded-xl border border-slate-200 bg-white p-5" data-testid="rollout-state">
        <h2 id="rollout-state" className="text-base font-semibold">
          Rollout state
        </h2>
        {versions.canary ? (
          <p className="mt-1 text-sm text-amber-900">
            Canary in progress: version {versions.canary.version} to {versions.canary.percent}% of tenants.{" "}
            <Link href="/policies/edit?tab=apply" className="underline">
              Promote or roll back in the studio
            </Link>
          </p>
        ) : (
          <p className="mt-1 text-sm text-slate-600">No canary in progress{versions.stable_version ? `: version ${versions.stable_version} is the fleet's stable version` : ""}.</p>
        )}
        <ul className="mt-3 grid gap-1 text-sm sm:grid-cols-2 lg:grid-cols-3">
          {versions.tenant_versions.map((t) => (
            <li key={t.tenant} className="flex justify-between gap-2 rounded-md bg-slate-50 px-3 py-1.5">
              <span className="font-medium">{t.tenant}</span>
              <span className="text-slate-600">
                {t.version === null ? "no policy (denies all)" : `v${t.version} · ${t.via === "pin" ? "pinned" : t.via === "canary_percent" ? "canary" : t.via === "explicit" ? "listed" : "all tenants"}`}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <PolicyVersionsTable versions={rows} tenantView={versions.view === "tenant"} />
    </>
  );
}
