"use client";

import { useCopy } from "@/lib/console/use-copy";

/** A long identifier (hash, digest, trace id): shortened in the middle to fit, whole in its title, with a copy button. */
export function CopyableHash({ value, label }: { value: string | null; label: string }) {
  const { copied, copy } = useCopy(value ?? "");
  if (!value) return <span className="text-slate-400">—</span>;
  return (
    <span className="flex min-w-0 items-center gap-2">
      <span title={value} data-full={value} className="min-w-0 truncate font-mono text-xs">{value}</span>
      <button type="button" aria-label={`Copy ${label}`} className="shrink-0 rounded border border-slate-300 px-1.5 py-0.5 text-xs hover:bg-slate-50"
        onClick={copy}>
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}
