"use client";

import { useMemo, useState } from "react";
import { PolicySimulationRow } from "@/components/policy-simulation-row";
import type { SimulateResult } from "@/lib/console/policy-api";
import type { SimCase } from "@/lib/console/sim-cases";
import type { LiveSimulation, SimRow } from "@/lib/console/use-live-simulation";

type Filter = "all" | "changed" | "tests" | "approximate";

export interface PolicySimulationPanelProps {
  sim: LiveSimulation;
  canSimulateDraft: boolean;
  canSimulateActive: boolean;
  canReadAudit: boolean;
  recorded: { loading: boolean; error: string | null; count: number; refresh: () => void; fetching: boolean };
  /** The editor's text is not (yet) what the rows were decided for: invalid, or still being checked. */
  stale: "invalid" | "checking" | null;
  loadTrace?: (c: SimCase, signal: AbortSignal) => Promise<SimulateResult>;
  traceKey: string | null;
  onSaveTestCase?: (row: SimRow) => void;
}

const FILTERS: { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "changed", label: "Changed" },
  { id: "tests", label: "Test cases" },
  { id: "approximate", label: "Approximate" },
];

/** Live simulation: the test cases and the tenant's recorded calls, decided by the draft as the author types. */
export function PolicySimulationPanel({ sim, canSimulateDraft, canSimulateActive, canReadAudit, recorded, stale, loadTrace, traceKey, onSaveTestCase }: PolicySimulationPanelProps) {
  const [filter, setFilter] = useState<Filter>("all");
  const counts = useMemo(() => {
    let changed = 0;
    let approximate = 0;
    let tests = 0;
    let failing = 0;
    for (const r of sim.rows) {
      if (r.changed) changed++;
      if (r.approximate.length) approximate++;
      if (r.case.source === "test") {
        tests++;
        if (r.expectation && !r.expectation.pass) failing++;
      }
    }
    return { changed, approximate, tests, failing };
  }, [sim.rows]);
  const shown = sim.rows.filter((r) => (filter === "changed" ? r.changed : filter === "tests" ? r.case.source === "test" : filter === "approximate" ? r.approximate.length > 0 : true));

  return (
    <section aria-labelledby="sim-heading" className="flex min-h-0 min-w-0 flex-col rounded-xl border border-slate-200 bg-white">
      <div className="border-b border-slate-200 px-3 py-2">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="sim-heading" className="text-base font-semibold">
            Live simulation
          </h2>
          <p role="status" aria-live="polite" className="text-xs text-slate-600" data-testid="sim-status">
            {!canSimulateDraft
              ? canSimulateActive
                ? "Active policy only (simulating a draft needs policies.write)"
                : "Simulation needs the policies.simulate permission"
              : stale === "invalid"
                ? "Fix the problems to simulate; showing the last valid draft"
                : stale === "checking" || sim.running
                  ? `Simulating… ${sim.progress.done}/${sim.progress.total}`
                  : `${sim.rows.length} calls · ${counts.changed} change${counts.changed === 1 ? "" : "s"}${counts.tests ? ` · tests ${counts.tests - counts.failing}/${counts.tests} pass` : ""}`}
          </p>
        </div>
        <div className="mt-2 flex flex-wrap items-center gap-1" role="group" aria-label="Show">
          {FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              aria-pressed={filter === f.id}
              onClick={() => setFilter(f.id)}
              className={`rounded-full border px-2.5 py-0.5 text-xs ${filter === f.id ? "border-canopy-700 bg-canopy-50 text-canopy-900" : "border-slate-300 text-slate-700 hover:bg-slate-100"}`}
            >
              {f.label}
              {f.id === "changed" ? ` (${counts.changed})` : f.id === "approximate" ? ` (${counts.approximate})` : f.id === "tests" ? ` (${counts.tests})` : ""}
            </button>
          ))}
          {canReadAudit && (
            <button type="button" onClick={recorded.refresh} disabled={recorded.fetching} className="ml-auto rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-50">
              {recorded.fetching ? "Loading calls…" : "Reload recorded calls"}
            </button>
          )}
        </div>
        {sim.error && (
          <p role="alert" className="mt-2 text-xs text-red-700">
            Simulation stopped: {sim.error}
          </p>
        )}
        {recorded.error && (
          <p role="alert" className="mt-2 text-xs text-red-700">
            Recorded calls could not be read: {recorded.error}
          </p>
        )}
      </div>
      {sim.rows.length === 0 ? (
        <p className="p-4 text-sm text-slate-600">
          {!canReadAudit
            ? "Recorded calls need the audit.read permission; add test cases to simulate."
            : recorded.loading
              ? "Loading the tenant's recorded calls…"
              : "No recorded tool calls yet. Calls agents make through the gateway appear here; test cases too."}
        </p>
      ) : (
        <ul className="max-h-[70vh] min-h-0 overflow-y-auto xl:max-h-[calc(60vh+4rem)]" aria-label="Simulated calls">
          {shown.map((r) => (
            <PolicySimulationRow key={r.case.id} row={r} loadTrace={loadTrace} traceKey={traceKey} onSaveTestCase={onSaveTestCase} />
          ))}
          {shown.length === 0 && <li className="p-4 text-sm text-slate-600">Nothing to show with this filter.</li>}
        </ul>
      )}
    </section>
  );
}
