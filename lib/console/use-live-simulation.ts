"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { type Limiter, runAll } from "./limiter";
import { isAbort, type PolicyApi, type SimDecision, type SimulateResult } from "./policy-api";
import { type ApproxReason, approximateReasons, type SimCase } from "./sim-cases";
import { checkExpectation } from "./test-cases";

export interface SimOutcome {
  decision: SimDecision | null;
  /** The simulate API's own findings (a call it cannot evaluate), or the request's failure. */
  error?: string;
}

export interface SimRow {
  case: SimCase;
  draft?: SimOutcome;
  active?: SimOutcome;
  approximate: ApproxReason[];
  /** Draft and active decide differently (both known). */
  changed: boolean;
  expectation?: { pass: boolean; message: string };
}

export interface LiveSimulation {
  rows: SimRow[];
  /** Of the current draft's run: cases decided so far and in all. */
  progress: { done: number; total: number };
  running: boolean;
  /** A failure that stopped the draft's run (permissions, the server down). */
  error: string | null;
}

export interface LiveSimulationInput {
  api: PolicyApi;
  limiter: Limiter;
  cases: readonly SimCase[];
  /** The draft when it validates (`hash` from the validator); null while invalid or unchecked. */
  draft: { text: string; hash: string } | null;
  /** The active policy: its version keys the cache of its decisions; its text tells whether it reads roles. */
  active: { version: number | null; text: string | null } | null;
  /** policies.write: the draft can be simulated inline. */
  canSimulateDraft: boolean;
  /** policies.simulate: the active policy can be simulated. */
  canSimulateActive: boolean;
  debounceMs?: number;
  /** False holds every request back (the studio waits for the editor to be interactive first). */
  enabled?: boolean;
}

const MAX_CACHED = 4_000;
const FLUSH_MS = 80;
/** Calls per request when the API offers simulateBatch. */
const BATCH = 250;

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Simulates `cases` against `policy` (undefined: the active policy): one request per call through
 * the limiter, or batches of BATCH calls when the API has simulateBatch. Outcomes arrive per case.
 */
function simulateCases(
  api: PolicyApi,
  limiter: Limiter,
  cases: SimCase[],
  policy: string | undefined,
  signal: AbortSignal,
  onResult: (c: SimCase, o: Outcome<SimulateResult>) => void,
): Promise<void> {
  const batch = api.simulateBatch?.bind(api);
  if (!batch) return runAll(limiter, cases, (c, s) => api.simulate({ ...c.call, ...(policy !== undefined ? { policy } : {}), trace: false }, s), { signal, onResult });
  const chunks: SimCase[][] = [];
  for (let i = 0; i < cases.length; i += BATCH) chunks.push(cases.slice(i, i + BATCH));
  return runAll(limiter, chunks, (chunk, s) => batch({ calls: chunk.map((c) => c.call), ...(policy !== undefined ? { policy } : {}), trace: false }, s), {
    signal,
    onResult: (chunk, o) => chunk.forEach((c, i) => onResult(c, o.ok ? (o.value[i] ? { ok: true, value: o.value[i] } : { ok: false, error: new Error("the batch answer is missing this call") }) : o)),
  });
}

function outcomeOf(r: SimulateResult): SimOutcome {
  if (r.ok && r.decision) return { decision: r.decision };
  return { decision: null, error: r.errors.map((e) => e.message).join("; ") || "the call could not be simulated" };
}

/**
 * Evaluates every case against the draft (inline simulate, the production engine on the server)
 * and against the active policy. Bounded: the draft's run starts `debounceMs` after its validated
 * hash changes and aborts the previous run; each (policy hash, call) pair is asked once and cached,
 * so edits that do not change the parsed policy (comments, spacing) cost no request; every request
 * goes through the shared limiter.
 */
export function useLiveSimulation(input: LiveSimulationInput): LiveSimulation {
  const { api, limiter, cases, draft, active, canSimulateDraft, canSimulateActive } = input;
  const debounceMs = input.debounceMs ?? 250;
  const enabled = input.enabled ?? true;
  const [results, setResults] = useState<ReadonlyMap<string, SimOutcome>>(() => new Map());
  const [run, setRun] = useState<{ hash: string; done: number; total: number; running: boolean; error: string | null } | null>(null);
  const buffer = useRef<Map<string, SimOutcome>>(new Map());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const resultsRef = useRef(results);
  useEffect(() => {
    resultsRef.current = results;
  }, [results]);

  const casesSig = useMemo(() => cases.map((c) => c.key).join("\n"), [cases]);
  const draftHash = draft?.hash ?? null;
  const draftText = draft?.text ?? null;
  const activeVersion = active?.version ?? null;

  // Results land in a buffer and reach React state at most every FLUSH_MS (one render for many answers).
  const schedule = useRef((key: string, outcome: SimOutcome) => {
    buffer.current.set(key, outcome);
    if (flushTimer.current) return;
    flushTimer.current = setTimeout(() => {
      flushTimer.current = null;
      const batch = buffer.current;
      buffer.current = new Map();
      setResults((prev) => {
        const next = new Map(prev);
        for (const [k, v] of batch) next.set(k, v);
        if (next.size > MAX_CACHED) for (const k of [...next.keys()].slice(0, next.size - MAX_CACHED)) next.delete(k);
        return next;
      });
    }, FLUSH_MS);
  });
  useEffect(() => () => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
  }, []);

  // The draft's run.
  useEffect(() => {
    if (!enabled || !canSimulateDraft || draftHash === null || draftText === null) return;
    const controller = new AbortController();
    const uniq = new Map<string, SimCase>();
    for (const c of cases) if (!resultsRef.current.has(`d:${draftHash}|${c.key}`)) uniq.set(c.key, c);
    const jobs = [...uniq.values()];
    const timer = setTimeout(() => {
      setRun({ hash: draftHash, done: 0, total: jobs.length, running: jobs.length > 0, error: null });
      if (jobs.length === 0) return;
      let done = 0;
      let fatal: string | null = null;
      simulateCases(api, limiter, jobs, draftText, controller.signal, (c, outcome) => {
          done++;
          if (outcome.ok) schedule.current(`d:${draftHash}|${c.key}`, outcomeOf(outcome.value));
          else if (!isAbort(outcome.error)) {
            const status = (outcome.error as { status?: number }).status;
            // A refusal of the caller (401/403) or a server failure stops being per-row news.
            if (status === 401 || status === 403 || (status ?? 500) >= 500) fatal ??= (outcome.error as Error).message;
            else schedule.current(`d:${draftHash}|${c.key}`, { decision: null, error: (outcome.error as Error).message });
          }
          if (done % 10 === 0 || done === jobs.length) setRun({ hash: draftHash, done, total: jobs.length, running: done < jobs.length, error: fatal });
      }).catch(() => undefined);
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // casesSig stands for `cases` (a new array with the same calls must not restart the run).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, limiter, casesSig, draftHash, draftText, canSimulateDraft, debounceMs, enabled]);

  // The active policy's decisions: once per version and call.
  useEffect(() => {
    if (!enabled || !canSimulateActive || !active) return;
    const controller = new AbortController();
    const uniq = new Map<string, SimCase>();
    for (const c of cases) if (!resultsRef.current.has(`a:${activeVersion}|${c.key}`)) uniq.set(c.key, c);
    simulateCases(api, limiter, [...uniq.values()], undefined, controller.signal, (c, outcome) => {
      if (outcome.ok) schedule.current(`a:${activeVersion}|${c.key}`, outcomeOf(outcome.value));
      else if (!isAbort(outcome.error)) schedule.current(`a:${activeVersion}|${c.key}`, { decision: null, error: (outcome.error as Error).message });
    }).catch(() => undefined);
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, limiter, casesSig, activeVersion, active !== null, canSimulateActive, enabled]);

  const activeText = active?.text ?? null;
  const rows = useMemo(
    () =>
      cases.map((c): SimRow => {
        const d = draftHash !== null ? results.get(`d:${draftHash}|${c.key}`) : undefined;
        const a = active ? results.get(`a:${activeVersion}|${c.key}`) : undefined;
        return {
          case: c,
          draft: d,
          active: a,
          approximate: c.source === "recorded" ? approximateReasons(c, [draftText, activeText]) : [],
          changed: Boolean(d?.decision && a?.decision && d.decision.decision !== a.decision.decision),
          expectation: d ? checkExpectation(c.expected, d.decision) : undefined,
        };
      }),
    [cases, results, draftHash, draftText, active, activeVersion, activeText],
  );

  const current = run && run.hash === draftHash ? run : null;
  return {
    rows,
    progress: { done: current?.done ?? 0, total: current?.total ?? 0 },
    running: Boolean(current?.running) || (enabled && draftHash !== null && canSimulateDraft && current === null),
    error: current?.error ?? null,
  };
}

/** One case's full trace against a policy (on expand): a single request, cached by policy and call. */
export function useSimulationTrace(api: PolicyApi, limiter: Limiter, c: SimCase | null, policy: { text: string; hash: string } | null, enabled: boolean) {
  return useQuery({
    queryKey: ["policy-sim-trace", policy?.hash ?? "active", c?.key],
    enabled: enabled && c !== null,
    staleTime: Infinity,
    queryFn: ({ signal }) => limiter.run(() => api.simulate({ ...c!.call, ...(policy ? { policy: policy.text } : {}), trace: true }, signal), signal),
  });
}
