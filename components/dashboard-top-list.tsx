import Link from "next/link";

/** A ranked list (tools, denying rules) with bars proportional to the first; each row opens its records. */
export function DashboardTopList({ title, rows, empty }: { title: string; rows: { label: string; count: number; href: string | null }[]; empty: string }) {
  const max = rows[0]?.count ?? 0;
  return (
    <section aria-label={title} className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-sm font-semibold">{title}</h2>
      {rows.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">{empty}</p>
      ) : (
        <ol className="mt-2 space-y-1.5">
          {rows.map((r) => {
            const inner = (
              <>
                <span className="flex justify-between gap-2 text-sm">
                  <span className="min-w-0 truncate font-mono text-xs" title={r.label}>{r.label}</span>
                  <span className="shrink-0 tabular-nums text-slate-700">{r.count}</span>
                </span>
                <span className="mt-0.5 block h-1.5 rounded bg-slate-100">
                  <span className="block h-1.5 rounded bg-canopy-600" style={{ width: `${max ? Math.max(2, (r.count / max) * 100) : 0}%` }} />
                </span>
              </>
            );
            return (
              <li key={r.label}>
                {r.href ? <Link href={r.href} className="block rounded px-1 py-0.5 hover:bg-canopy-50">{inner}</Link> : <div className="px-1 py-0.5">{inner}</div>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
