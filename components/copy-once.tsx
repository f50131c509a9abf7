"use client";

import { useCopy } from "@/lib/console/use-copy";

/** A secret shown this once, with a copy button; it is never shown again after the panel closes. */
export function CopyOnce({ label, value, note, onDone }: { label: string; value: string; note: string; onDone: () => void }) {
  const { copied, copy } = useCopy(value);
  return (
    <section aria-label={label} className="rounded-xl border border-amber-300 bg-amber-50 p-4">
      <h3 className="text-sm font-semibold">{label}</h3>
      <p className="mt-1 text-sm text-slate-700">{note}</p>
      <input readOnly value={value} aria-label={`${label} value`} onFocus={(e) => e.currentTarget.select()}
        className="mt-2 block w-full min-w-0 rounded-md border border-slate-300 bg-white px-2 py-1.5 font-mono text-xs" />
      <div className="mt-2 flex gap-2">
        <button type="button" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900"
          onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" onClick={onDone}>Done</button>
      </div>
    </section>
  );
}
