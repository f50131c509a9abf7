"use client";

import { formatDate } from "@/lib/console/format-date";
import dynamic from "next/dynamic";
import type { DiffInput, DiffResult, PolicyApi, VersionRow } from "@/lib/console/policy-api";
import { usePolicyDiff } from "@/lib/console/use-policy-queries";

const PolicyDiffEditor = dynamic(() => import("@/components/policy-diff-editor"), {
  ssr: false,
  loading: () => <p className="grid h-80 place-items-center rounded-md border border-slate-200 text-sm text-slate-500">Loading the diff…</p>,
});

export type DiffSelection = { mode: "draft" } | { mode: "versions"; from: number; to: number };

export interface PolicyDiffViewProps {
  api: PolicyApi;
  schema: Record<string, unknown>;
  /** The draft; `hash` is null while it does not validate. */
  draft: { text: string; hash: string | null };
  active: { version: number | null; text: string | null };
  versions: readonly VersionRow[];
  canDiff: boolean;
  selection: DiffSelection;
  onSelectionChange: (s: DiffSelection) => void;
}

const RISK: Record<DiffResult["risk"]["level"], string> = {
  low: "bg-canopy-100 text-canopy-900",
  medium: "bg-amber-100 text-amber-900",
  high: "bg-orange-200 text-orange-950",
  critical: "bg-red-600 text-white",
};

const EFFECT: Record<string, string> = { loosens: "text-red-700", tightens: "text-canopy-700", neutral: "text-slate-600", unclear: "text-amber-800" };

const select = "rounded-md border border-slate-300 px-2 py-1 text-sm";

/** The draft (or one stored version) against the active policy (or another version): text, rules, risk, and the decisions that change over recorded calls. */
export function PolicyDiffView({ api, schema, draft, active, versions, canDiff, selection, onSelectionChange }: PolicyDiffViewProps) {
  let input: DiffInput | null = null;
  let key = "";
  if (selection.mode === "draft" && draft.hash) {
    input = { proposed: draft.text };
    key = `draft:${draft.hash}:${active.version ?? "none"}`;
  } else if (selection.mode === "versions") {
    input = { version: selection.to, against: selection.from };
    key = `versions:${selection.from}:${selection.to}`;
  }
  const diff = usePolicyDiff(api, canDiff ? input : null, key);

  if (!canDiff) return <p className="text-sm text-slate-600">Diffs replay a proposed policy over recorded calls, which needs the policies.write permission (roles policy_author or admin).</p>;

  const texts =
    selection.mode === "draft"
      ? { original: active.text ?? "", modified: draft.text, originalLabel: active.version ? `Active (version ${active.version})` : "Active (none: every call is denied)", modifiedLabel: "Draft" }
      : null;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          Compare
          <select
            className={`${select} ml-2`}
            value={selection.mode}
            onChange={(e) => {
              if (e.target.value === "draft") onSelectionChange({ mode: "draft" });
              else {
                const to = versions[0]?.id ?? 1;
                const from = active.version ?? versions[1]?.id ?? to;
                onSelectionChange({ mode: "versions", from, to });
              }
            }}
          >
            <option value="draft">draft with the active version</option>
            <option value="versions">two stored versions</option>
          </select>
        </label>
        {selection.mode === "versions" && (
          <>
            <label className="text-sm">
              From
              <select className={`${select} ml-2`} value={selection.from} onChange={(e) => onSelectionChange({ ...selection, from: Number(e.target.value) })}>
                {versions.map((v) => (
                  <option key={v.id} value={v.id}>
                    v{v.id}
                    {v.active ? " (active)" : ""}
                  </option>
                ))}
              </select>
            </label>
            <label className="text-sm">
              To
              <select className={`${select} ml-2`} value={selection.to} onChange={(e) => onSelectionChange({ ...selection, to: Number(e.target.value) })}>
                {versions.map((v) => (
                  <option key={v.id} value={v.id}>
                    v{v.id}
                    {v.active ? " (active)" : ""}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
      </div>

      {texts ? (
        <PolicyDiffEditor schema={schema} {...texts} />
      ) : (
        <p className="text-sm text-slate-600">
          The policy API does not serve the text of stored versions yet, so only their rule and decision changes are shown (the draft compares side by side with the active version).
        </p>
      )}

      {selection.mode === "draft" && !draft.hash ? (
        <p className="text-sm text-slate-600">The draft does not validate yet: fix its problems to see what it changes.</p>
      ) : diff.isPending ? (
        <p className="text-sm text-slate-600" role="status">
          Replaying recorded calls…
        </p>
      ) : diff.isError ? (
        <p role="alert" className="text-sm text-red-700">
          The diff failed: {diff.error.message}
        </p>
      ) : (
        <DiffSummary result={diff.data} />
      )}
    </div>
  );
}

function DiffSummary({ result }: { result: DiffResult }) {
  const dc = result.decision_changes;
  return (
    <div className="space-y-4" data-testid="policy-diff-summary">
      <div className="flex flex-wrap items-center gap-2">
        <span className={`rounded-full px-2.5 py-0.5 text-xs font-semibold uppercase ${RISK[result.risk.level]}`} data-testid="diff-risk">
          risk {result.risk.level}
        </span>
        <p className="text-sm font-medium" data-testid="diff-headline">
          {result.headline}
        </p>
      </div>
      {result.risk.reasons.length > 0 && (
        <ul className="list-disc pl-5 text-sm text-slate-700">
          {result.risk.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}

      <section aria-labelledby="rule-changes">
        <h3 id="rule-changes" className="mb-1 text-sm font-semibold">
          Rule changes ({result.rule_changes.length})
        </h3>
        {result.rule_changes.length === 0 && !result.defaults_changed ? (
          <p className="text-sm text-slate-600">No rule changes.</p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 text-sm">
            {result.rule_changes.map((c, i) => (
              <li key={`${c.kind}-${c.name}-${i}`} className="flex flex-wrap gap-x-2 px-3 py-1.5">
                <span className="font-semibold">{c.kind}</span>
                <span>“{c.name}”</span>
                {c.renamed_from && <span className="text-slate-600">(was “{c.renamed_from}”)</span>}
                {c.fields_changed && c.fields_changed.length > 0 && <span className="text-slate-600">{c.fields_changed.join(", ")}</span>}
                {c.kind === "moved" && (
                  <span className="text-slate-600">
                    #{(c.from_index ?? 0) + 1} → #{(c.to_index ?? 0) + 1}
                  </span>
                )}
                <span className={`ml-auto ${EFFECT[c.effect] ?? ""}`}>{c.effect}</span>
              </li>
            ))}
            {result.defaults_changed && (
              <li className="px-3 py-1.5">
                <span className="font-semibold">defaults</span> {result.defaults_changed.fields_changed.join(", ")} <span className={EFFECT[result.defaults_changed.effect] ?? ""}>{result.defaults_changed.effect}</span>
              </li>
            )}
          </ul>
        )}
      </section>

      <section aria-labelledby="decision-changes">
        <h3 id="decision-changes" className="mb-1 text-sm font-semibold">
          Decision changes: {dc.changed} of {dc.replayed} recorded calls
        </h3>
        {Object.keys(dc.by_transition).length > 0 && (
          <p className="mb-2 flex flex-wrap gap-1.5 text-xs">
            {Object.entries(dc.by_transition).map(([t, n]) => (
              <span key={t} className="rounded-full bg-slate-100 px-2 py-0.5">
                {t}: {n}
              </span>
            ))}
          </p>
        )}
        {dc.examples.length > 0 && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Decision changes">
              <thead className="bg-slate-50 text-xs uppercase text-slate-500">
                <tr>
                  <th scope="col" className="px-3 py-1.5">When</th>
                  <th scope="col" className="px-3 py-1.5">Tool</th>
                  <th scope="col" className="px-3 py-1.5">Caller</th>
                  <th scope="col" className="px-3 py-1.5">Before → after</th>
                  <th scope="col" className="px-3 py-1.5">Rules</th>
                </tr>
              </thead>
              <tbody>
                {dc.examples.map((e) => (
                  <tr key={e.seq} className="border-t border-slate-100">
                    <td className="whitespace-nowrap px-3 py-1.5 text-slate-600">{formatDate(e.ts)}</td>
                    <td className="px-3 py-1.5">
                      <code>{e.tool}</code>
                      {e.redacted && <span className="ml-1 rounded bg-slate-200 px-1 text-xs" title="arguments were redacted in the log">approximate</span>}
                    </td>
                    <td className="px-3 py-1.5">{e.subject ?? "—"}</td>
                    <td className="whitespace-nowrap px-3 py-1.5 font-medium">
                      {e.before} → {e.after}
                    </td>
                    <td className="px-3 py-1.5 text-xs text-slate-600">
                      {e.rule_before ?? "default"} → {e.rule_after ?? "default"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {dc.notes.length > 0 && (
          <ul className="mt-2 list-disc pl-5 text-xs text-slate-500">
            {dc.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
