interface VersionRow {
  id: number;
  author: string;
  message: string | null;
  created_at: string;
  signed: boolean;
  verified: boolean;
  active: boolean;
  stable: boolean;
  tenant_count: number;
  pinned_tenants: string[];
  rollouts: { id: number; strategy: string; canary_percent: number | null; tenants: string[] }[];
}

function rolloutLabel(r: VersionRow["rollouts"][number]) {
  if (r.strategy === "canary_percent") return `canary ${r.canary_percent}%`;
  if (r.strategy === "explicit") return `pinned: ${r.tenants.join(", ")}`;
  return "all tenants";
}

export function PolicyVersionsTable({ versions }: { versions: VersionRow[] }) {
  return (
    <section aria-labelledby="versions" className="rounded-xl border border-slate-200 bg-white">
      <h2 id="versions" className="border-b border-slate-200 px-5 py-3 text-base font-semibold">
        Versions
      </h2>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-50 text-xs uppercase text-slate-500">
            <tr>
              <th scope="col" className="px-5 py-2">Version</th>
              <th scope="col" className="px-5 py-2">Created</th>
              <th scope="col" className="px-5 py-2">Author · message</th>
              <th scope="col" className="px-5 py-2">Signature</th>
              <th scope="col" className="px-5 py-2">Rollouts</th>
              <th scope="col" className="px-5 py-2">Tenants on it</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id} className="border-t border-slate-100 align-top">
                <td className="px-5 py-2 font-medium">
                  v{v.id}
                  {v.active && <span className="ml-2 rounded-full bg-canopy-100 px-2 py-0.5 text-xs text-canopy-900">yours</span>}
                  {v.stable && <span className="ml-2 rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">stable</span>}
                </td>
                <td className="whitespace-nowrap px-5 py-2 text-slate-600">{new Date(v.created_at).toLocaleString()}</td>
                <td className="px-5 py-2">
                  {v.author}
                  {v.message && <span className="text-slate-600"> · {v.message}</span>}
                </td>
                <td className="px-5 py-2">{v.signed ? (v.verified ? "verified" : "signed") : "unsigned"}</td>
                <td className="px-5 py-2 text-slate-600">{v.rollouts.map(rolloutLabel).join("; ") || "—"}</td>
                <td className="px-5 py-2">{v.tenant_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
