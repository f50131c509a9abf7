import type { Metadata } from "next";
import { DashboardView } from "@/components/dashboard-view";
import { PageHeader } from "@/components/page-header";
import { StatusCard } from "@/components/status-card";
import { DASHBOARD_RANGES, type DashboardRange } from "@/lib/dashboard/schemas";
import { requireConsoleUser } from "@/lib/console/session";
import { platformTenant, publicUrl } from "@/lib/env";
import { checkHealth } from "@/lib/health";
import { services } from "@/lib/server";

export const metadata: Metadata = { title: "Dashboard" };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function DashboardPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [user, health, params] = await Promise.all([requireConsoleUser(), checkHealth(services()), searchParams]);
  const { db, migrations, redis, policy } = health.checks;
  const base = publicUrl();
  const wanted = first(params.range);
  const range: DashboardRange = wanted && wanted in DASHBOARD_RANGES ? (wanted as DashboardRange) : "24h";
  const platformAdmin = user.tenant === platformTenant() && user.roles.includes("admin");
  return (
    <>
      <PageHeader title="Dashboard" description={`Tenant ${user.tenant ?? "—"}: the gateway's activity and state at a glance.`} />
      {user.tenant && user.permissions.includes("audit.read") && (
        <div className="mb-8">
          <DashboardView ownTenant={user.tenant} platformAdmin={platformAdmin} initialRange={range} initialTenant={first(params.tenant) ?? user.tenant} />
        </div>
      )}
      <h2 className="mb-3 text-base font-semibold">Health</h2>
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <StatusCard label="Database" ok={db.ok} detail={db.ok ? `${db.kind}, ${db.latency_ms} ms` : db.error} />
        <StatusCard label="Migrations" ok={migrations.ok} detail={migrations.ok ? `${migrations.applied} applied` : `pending: ${migrations.pending?.join(", ") ?? migrations.error}`} />
        <StatusCard label="Redis" ok={redis.ok} detail={redis.ok ? `${redis.kind}, ${redis.latency_ms} ms` : redis.error} />
        <StatusCard label="Active policy" ok={policy.ok} detail={policy.ok ? `version ${policy.version}${policy.signed ? (policy.verified ? ", signed and verified" : ", signed") : ", unsigned"}` : policy.error} />
      </div>
      <section className="mt-8 rounded-xl border border-slate-200 bg-white p-5">
        <h2 className="text-base font-semibold">Connect an agent</h2>
        <p className="mt-1 text-sm text-slate-600">Mint a token for the agent, then point its MCP client at the gateway.</p>
        <pre className="mt-3 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{`export TOKEN=$(npx canopy mint-token --tenant ${user.tenant ?? "demo-tenant"} --subject agent-42 --roles agent --ttl 3600)
curl -s -X POST ${base}/mcp -H "Authorization: Bearer $TOKEN" \\
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`}</pre>
      </section>
    </>
  );
}
