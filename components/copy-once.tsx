"use client";

import { useState } from "react";

/** A secret shown this once, with a copy button; it is never shown again after the panel closes. */
export function CopyOnce({ label, value, note, onDone }: { label: string; value: string; note: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section aria-label={label} className="rounded-xl border border-amber-300 bg-amber-50 p-4">
      <h3 className="text-sm font-semibold">{label}</h3>
      <p className="mt-1 text-sm text-slate-700">{note}</p>
      <div className="mt-2 flex flex-col gap-2 sm:flex-row">
        <input readOnly value={value} aria-label={`${label} value`} onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 font-mono text-xs" />
        <button type="button" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900"
          onClick={async () => {
            await navigator.clipboard?.writeText(value).catch(() => undefined);
            setCopied(true);
          }}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" onClick={onDone}>Done</button>
      </div>
    </section>
  );
}
