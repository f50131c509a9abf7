import { formatDate } from "@/lib/console/format-date";
import Link from "next/link";

interface VersionRow {
  id: number;
  scope: "platform" | "tenant";
  tenant: string | null;
  hash: string;
  author: string;
  message: string | null;
  created_at: string;
  signed: boolean;
  verified: boolean;
  active: boolean;
  stable: boolean;
  tenant_count: number;
  pinned_tenants: string[];
  rollouts: { id: number; strategy: string; canary_percent: number | null; tenants: string[]; created_by: string; created_at: string; in_effect: boolean }[];
}

function rolloutLabel(r: VersionRow["rollouts"][number]) {
  if (r.strategy === "canary_percent") return `canary ${r.canary_percent}%`;
  if (r.strategy === "explicit") return `pinned: ${r.tenants.join(", ")}`;
  return "all tenants";
}

/** Every version: who wrote it and why, its signature, its rollouts (in effect or superseded), and what to do with it. */
export function PolicyVersionsTable({ versions, tenantView }: { versions: VersionRow[]; tenantView: boolean }) {
  return (
    <section aria-labelledby="versions" className="rounded-xl border border-slate-200 bg-white">
      <h2 id="versions" className="border-b border-slate-200 px-5 py-3 text-base font-semibold">
        Versions
      </h2>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" data-testid="versions-table">
          <thead className="bg-slate-50 text-xs uppercase text-slate-500">
            <tr>
              <th scope="col" className="px-5 py-2">Version</th>
              <th scope="col" className="px-5 py-2">Created</th>
              <th scope="col" className="px-5 py-2">Author · message</th>
              <th scope="col" className="px-5 py-2">Signature</th>
              <th scope="col" className="px-5 py-2">Rollouts</th>
              <th scope="col" className="px-5 py-2">{tenantView ? "Your tenant" : "Tenants on it now"}</th>
              <th scope="col" className="px-5 py-2">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id} className="border-t border-slate-100 align-top" data-testid={`version-row-${v.id}`}>
                <td className="px-5 py-2 font-medium">
                  v{v.id}
                  {v.active && <span className="ml-2 rounded-full bg-canopy-100 px-2 py-0.5 text-xs text-canopy-900">yours</span>}
                  {v.stable && <span className="ml-2 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">stable</span>}
                  <p className="font-mono text-xs font-normal text-slate-500" title={`sha256 ${v.hash}`}>
                    {v.scope === "tenant" ? `${v.tenant}'s · ` : ""}
                    {v.hash.slice(0, 12)}
                  </p>
                </td>
                <td className="whitespace-nowrap px-5 py-2 text-slate-600">{formatDate(v.created_at)}</td>
                <td className="px-5 py-2">
                  {v.author}
                  {v.message && <span className="text-slate-600"> · {v.message}</span>}
                </td>
                <td className="px-5 py-2">{v.signed ? (v.verified ? "signed, verified" : "signed, not verified") : "unsigned"}</td>
                <td className="px-5 py-2 text-slate-600">
                  {v.rollouts.length === 0
                    ? "never rolled out"
                    : v.rollouts.map((r) => (
                        <span key={r.id} className="block">
                          {rolloutLabel(r)} by {r.created_by}{" "}
                          <span className={r.in_effect ? "text-canopy-700" : "text-slate-400"}>({r.in_effect ? "in effect" : "superseded"})</span>
                        </span>
                      ))}
                </td>
                <td className="px-5 py-2">{tenantView ? (v.active ? "runs it" : "—") : v.tenant_count}</td>
                <td className="whitespace-nowrap px-5 py-2">
                  <Link className="mr-3 text-canopy-700 underline" href={`/api/v1/policy/versions/${v.id}/yaml`} prefetch={false}>
                    YAML
                  </Link>
                  <Link className="mr-3 text-canopy-700 underline" href={`/policies/edit?diff=${v.id}`}>
                    Diff
                  </Link>
                  <Link className="mr-3 text-canopy-700 underline" href={`/policies/edit?from=${v.id}`}>
                    Edit
                  </Link>
                  {!v.active && (
                    <Link className="text-canopy-700 underline" href={`/policies/edit?tab=history&rollback=${v.id}`}>
                      Roll back
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
