"use client";

import { formatDate } from "@/lib/console/format-date";
import dynamic from "next/dynamic";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { PolicyApplyPanel } from "@/components/policy-apply-panel";
import { type DiffSelection, PolicyDiffView } from "@/components/policy-diff-view";
import { PolicyProblems } from "@/components/policy-problems";
import { PolicySimulationPanel } from "@/components/policy-simulation-panel";
import { PolicyTestCasesPanel } from "@/components/policy-test-cases-panel";
import { PolicyVersionHistory } from "@/components/policy-version-history";
import { type DraftStore, serverDraftStore } from "@/lib/console/drafts";
import { createLimiter } from "@/lib/console/limiter";
import { type PolicyApi, policyApi } from "@/lib/console/policy-api";
import type { SimCase } from "@/lib/console/sim-cases";
import { serverTestCaseStore, testCaseFrom } from "@/lib/console/test-cases";
import { useDraft } from "@/lib/console/use-draft";
import { useLiveSimulation, type SimRow } from "@/lib/console/use-live-simulation";
import { useActivePolicy, useApplyPolicy, usePolicyVersions, usePromotePolicy, useRecordedCalls, useRollbackPolicy } from "@/lib/console/use-policy-queries";
import { usePolicyValidation } from "@/lib/console/use-policy-validation";
import { useTestCases } from "@/lib/console/use-test-cases";

// Monaco runs in the browser only: no server rendering of the editor.
const PolicyCodeEditor = dynamic(() => import("@/components/policy-code-editor"), {
  ssr: false,
  loading: () => <p className="grid h-full place-items-center rounded-md border border-slate-300 bg-white text-sm text-slate-500">Loading the editor…</p>,
});

export interface PolicyStudioProps {
  tenant: string;
  user: { id: string; name: string };
  can: { write: boolean; apply: boolean; simulate: boolean; readAudit: boolean; sign?: boolean };
  /** From the page's link: a tab to open, a stored version to diff against the active one, or to start the draft from. */
  initial?: { tab?: Tab; diffVersion?: number; fromVersion?: number };
  /** The policy JSON Schema for the editor (editorSchema of lib/policy's policyJsonSchema). */
  schema: Record<string, unknown>;
  api?: PolicyApi;
}

type Tab = "tests" | "diff" | "apply" | "history";

const NO_DRAFTS: DraftStore = { load: async () => null, save: async () => undefined, clear: async () => undefined };

/** The policy studio: edit with completion and the server's validator, simulate live, test, diff, apply and roll back. */
export function PolicyStudio({ tenant, user, can, schema, api = policyApi, initial }: PolicyStudioProps) {
  const [limiter] = useState(() => createLimiter(4));
  const readOnly = !can.write;
  const active = useActivePolicy(api);
  const versions = usePolicyVersions(api);
  const recorded = useRecordedCalls(api, can.readAudit);

  // Drafts and test cases live on the server (per author, per tenant): a reload, a sign-out or
  // another browser finds them again. `tenant` and `user` key the stores to the session.
  // A viewer has no draft (and may not read one): the editor shows the active policy.
  const draftStore = useMemo(() => (void tenant, void user.id, readOnly ? NO_DRAFTS : serverDraftStore(api)), [api, readOnly, tenant, user.id]);
  const base = active.isPending ? undefined : active.data ? { text: active.data.yaml, version: active.data.version } : null;
  const draft = useDraft(draftStore, base, { readOnly });
  const validation = usePolicyValidation(api, draft.text, { enabled: draft.ready });

  const testStore = useMemo(() => (void tenant, serverTestCaseStore(api)), [api, tenant]);
  const tests = useTestCases(testStore);

  // The simulation follows the last draft that validated, so rows stay while the author types.
  const [lastValid, setLastValid] = useState<{ text: string; hash: string } | null>(null);
  // Keyed by the semantic hash: an edit to comments or layout decides nothing differently.
  const simKey = validation.result?.semantic_hash ?? validation.result?.hash;
  if (validation.status === "valid" && simKey && validation.text !== null && (lastValid?.hash !== simKey || lastValid.text !== validation.text)) {
    setLastValid({ text: validation.text, hash: simKey });
  }

  // Monaco's code starts downloading with the page, alongside the policy it will show.
  useEffect(() => {
    void import("@/components/policy-code-editor");
    void import("@/lib/console/monaco");
  }, []);
  // The simulation's requests wait until the editor takes keystrokes, so they never delay it.
  const [editorReady, setEditorReady] = useState(false);
  const onEditorReady = useCallback(() => {
    // …and until the page is idle after it (the YAML worker starting, the first validation).
    if (typeof window.requestIdleCallback === "function") window.requestIdleCallback(() => setEditorReady(true), { timeout: 1_500 });
    else setTimeout(() => setEditorReady(true), 300);
  }, []);

  const cases = useMemo<SimCase[]>(() => [...tests.simCases, ...recorded.cases], [tests.simCases, recorded.cases]);
  const sim = useLiveSimulation({
    api,
    limiter,
    cases,
    draft: lastValid,
    active: active.data ? { version: active.data.version, text: active.data.yaml } : null,
    canSimulateDraft: can.write,
    canSimulateActive: can.simulate && Boolean(active.data),
    enabled: editorReady,
  });
  const rowsById = useMemo(() => new Map(sim.rows.map((r) => [r.case.id, r])), [sim.rows]);

  const loadTrace = useCallback(
    (c: SimCase, signal: AbortSignal) => limiter.run(() => api.simulate({ ...c.call, policy: lastValid!.text, trace: true }, signal), signal),
    [api, limiter, lastValid],
  );

  const addTestCase = tests.add;
  const saveTestCase = useCallback(
    (row: SimRow) => {
      const d = row.draft?.decision;
      if (d) addTestCase(testCaseFrom(row.case.call, { decision: d.decision, rule: d.rule }));
    },
    [addTestCase],
  );

  const apply = useApplyPolicy(api);
  const rollback = useRollbackPolicy(api);
  const promote = usePromotePolicy(api);
  const [tab, setTab] = useState<Tab>(initial?.tab ?? (initial?.diffVersion ? "diff" : "tests"));
  const [diffSelection, setDiffSelection] = useState<DiffSelection>({ mode: "draft" });
  // A "Diff" link from the Policies page: that version against the active one, once both are known.
  const [diffPending, setDiffPending] = useState(initial?.diffVersion);
  if (diffPending !== undefined && active.data) {
    setDiffPending(undefined);
    if (diffPending !== active.data.version) setDiffSelection({ mode: "versions", from: active.data.version, to: diffPending });
  }
  // An "Edit" link: the draft starts from that stored version's YAML.
  const fromVersion = initial?.fromVersion;
  const setDraftText = draft.setText;
  const fromLoaded = useRef(false);
  useEffect(() => {
    if (fromVersion === undefined || fromLoaded.current || !draft.ready || readOnly) return;
    fromLoaded.current = true;
    fetch(`/api/v1/policy/versions/${fromVersion}/yaml`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`version ${fromVersion}: ${r.status}`))))
      .then(setDraftText, () => undefined);
  }, [fromVersion, draft.ready, readOnly, setDraftText]);

  const currentValid = validation.status === "valid" && validation.text === draft.text;
  const stale = validation.status === "invalid" ? "invalid" : validation.status === "checking" ? "checking" : null;
  // A draft started from another version than the one running now may undo someone's change.
  const baseChanged = draft.ready && draft.dirty && active.data && draft.baseVersion !== active.data.version;
  const issues = validation.result && !validation.result.ok && validation.text === draft.text ? validation.result.errors : [];

  const tabs: { id: Tab; label: string }[] = [
    { id: "tests", label: `Test cases (${tests.cases.length})` },
    { id: "diff", label: "Diff" },
    { id: "apply", label: "Apply" },
    { id: "history", label: "History" },
  ];

  return (
    <div className="space-y-4">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-sm text-slate-600" data-testid="draft-status">
          {readOnly ? (
            <span className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800">Read-only</span>
          ) : draft.saveError ? (
            <span className="text-red-700">Draft not saved: {draft.saveError}</span>
          ) : draft.savedAt ? (
            `Draft saved on the server ${formatDate(draft.savedAt)}`
          ) : draft.dirty ? (
            "Draft not saved yet"
          ) : (
            "No changes to the active policy"
          )}
          {" · "}
          {active.data ? `active version ${active.data.version} (${active.data.signed ? (active.data.verified ? "signed, verified" : "signed") : "unsigned"})` : active.isPending ? "loading the active policy…" : "no active policy: every call is denied"}
        </p>
        {!readOnly && (
          <div className="flex gap-2">
            <button type="button" disabled={!draft.dirty && !draft.restored} onClick={draft.discard} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-50">
              Discard draft
            </button>
          </div>
        )}
      </div>

      {readOnly && (
        <p className="rounded-md border border-slate-200 bg-slate-100 p-3 text-sm text-slate-700" data-testid="read-only-note">
          You can read the active policy{can.simulate ? " and see how it decides recorded calls" : ""}; changing it needs the policies.write permission (roles policy_author or admin).
        </p>
      )}
      {baseChanged && (
        <div role="alert" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          <span>
            Your draft was started from version {draft.baseVersion ?? "none"}; the tenant now runs version {active.data!.version}. Review the diff before applying.
          </span>
          <button type="button" className="rounded-md border border-amber-400 px-2 py-0.5 text-xs" onClick={() => setTab("diff")}>
            Open the diff
          </button>
          <button type="button" className="rounded-md border border-amber-400 px-2 py-0.5 text-xs" onClick={() => draft.rebase()}>
            Keep my draft
          </button>
        </div>
      )}
      {active.isError && (
        <p role="alert" className="text-sm text-red-700">
          The active policy could not be read: {(active.error as Error).message}
        </p>
      )}

      <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <section aria-label="Policy editor" className="min-w-0">
          <div className="h-[55vh] min-h-80 xl:h-[60vh]">
            {draft.ready ? (
              <PolicyCodeEditor value={draft.text} onChange={draft.setText} readOnly={readOnly} schema={schema} issues={issues} label="Policy YAML" className="h-full" onReady={onEditorReady} />
            ) : (
              <p className="grid h-full place-items-center rounded-md border border-slate-300 bg-white text-sm text-slate-500">Loading the policy…</p>
            )}
          </div>
          {!readOnly && <PolicyProblems validation={validation} />}
        </section>
        <PolicySimulationPanel
          sim={sim}
          canSimulateDraft={can.write}
          canSimulateActive={can.simulate}
          canReadAudit={can.readAudit}
          recorded={{
            loading: recorded.isPending && can.readAudit,
            fetching: recorded.isFetching,
            error: recorded.isError ? (recorded.error as Error).message : null,
            count: recorded.cases.length,
            refresh: () => void recorded.refetch(),
          }}
          stale={can.write ? stale : null}
          loadTrace={can.write && lastValid ? loadTrace : undefined}
          traceKey={lastValid?.hash ?? null}
          onSaveTestCase={can.write ? saveTestCase : undefined}
        />
      </div>

      <section className="min-w-0 rounded-xl border border-slate-200 bg-white">
        <div role="tablist" aria-label="Studio" className="flex overflow-x-auto border-b border-slate-200">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              onClick={() => setTab(t.id)}
              className={`whitespace-nowrap px-4 py-2 text-sm font-medium ${tab === t.id ? "border-b-2 border-canopy-700 text-canopy-900" : "text-slate-600 hover:text-slate-900"}`}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="p-4">
          {tab === "tests" && (
            <PolicyTestCasesPanel
              cases={tests.cases}
              results={rowsById}
              canEdit={can.write}
              onAdd={tests.add}
              onRemove={tests.remove}
              error={tests.error}
              storageNote={`Test cases are kept on the server for tenant ${tenant}; they run against the draft on every change, and an apply refuses a version they fail unless you give a reason.`}
            />
          )}
          {tab === "diff" && (
            <PolicyDiffView
              api={api}
              schema={schema}
              draft={{ text: draft.text, hash: currentValid ? (validation.result?.hash ?? null) : null }}
              active={{ version: active.data?.version ?? null, text: active.data?.yaml ?? null }}
              versions={versions.data?.versions ?? []}
              canDiff={can.write}
              selection={diffSelection}
              onSelectionChange={setDiffSelection}
            />
          )}
          {tab === "apply" && (
            <PolicyApplyPanel
              draftText={draft.text}
              draftValid={currentValid}
              tenant={tenant}
              canApply={can.apply && can.write}
              pending={apply.isPending}
              error={apply.error}
              result={apply.data ?? null}
              baseVersion={draft.baseVersion}
              onApply={(input) => apply.mutate({ ...input, base_version: draft.baseVersion ?? "none" }, { onSuccess: (r) => draft.rebase(r.active_version) })}
              onPromote={(input) => promote.mutate(input)}
              promote={{ pending: promote.isPending, error: promote.error, result: promote.data ?? null }}
              onOpenDiff={() => setTab("diff")}
              onSignWithServerKey={can.sign ? (text) => api.signWithServerKey(text) : undefined}
            />
          )}
          {tab === "history" && (
            <PolicyVersionHistory
              versions={versions.data?.versions ?? []}
              loading={versions.isPending}
              loadError={versions.isError ? (versions.error as Error).message : null}
              canRollback={can.apply}
              onRollback={(input) => rollback.mutate(input)}
              rollbackPending={rollback.isPending}
              rollbackError={rollback.error}
              rollbackResult={rollback.data ?? null}
              activeVersion={active.data?.version ?? null}
              onDiff={(from, to) => {
                setDiffSelection({ mode: "versions", from, to });
                setTab("diff");
              }}
            />
          )}
        </div>
      </section>
    </div>
  );
}
