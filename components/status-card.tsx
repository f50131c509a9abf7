export function StatusCard({ label, ok, detail }: { label: string; ok: boolean; detail?: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-medium text-slate-600">{label}</h2>
        <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${ok ? "bg-canopy-100 text-canopy-900" : "bg-red-100 text-red-800"}`}>
          {ok ? "healthy" : "attention"}
        </span>
      </div>
      <p className="mt-2 text-sm break-words">{detail ?? "—"}</p>
    </div>
  );
}
