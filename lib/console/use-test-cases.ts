"use client";

import { useCallback, useEffect, useMemo, useState } from "react";
import { MAX_TEST_CASES, type PolicyTestCase, type TestCaseStore, testCaseToSimCase } from "./test-cases";

export interface TestCasesState {
  loaded: boolean;
  cases: PolicyTestCase[];
  simCases: ReturnType<typeof testCaseToSimCase>[];
  add(tc: PolicyTestCase): void;
  remove(id: string): void;
  error: string | null;
}

/** The tenant's test cases from `store` (this browser today; the server later), kept in order of creation. */
export function useTestCases(store: TestCaseStore): TestCasesState {
  const [cases, setCases] = useState<PolicyTestCase[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    store.load().then(
      (c) => live && setCases(c),
      (err: Error) => {
        if (!live) return;
        setCases([]);
        setError(err.message);
      },
    );
    return () => {
      live = false;
    };
  }, [store]);

  const persist = useCallback(
    (next: PolicyTestCase[]) => {
      setCases(next);
      store.save(next).then(
        () => setError(null),
        (err: Error) => setError(err.message),
      );
    },
    [store],
  );

  const add = useCallback(
    (tc: PolicyTestCase) => {
      const current = cases ?? [];
      if (current.length >= MAX_TEST_CASES) {
        setError(`at most ${MAX_TEST_CASES} test cases are kept; remove one first`);
        return;
      }
      persist([...current, tc]);
    },
    [cases, persist],
  );

  const remove = useCallback((id: string) => persist((cases ?? []).filter((c) => c.id !== id)), [cases, persist]);
  const simCases = useMemo(() => (cases ?? []).map(testCaseToSimCase), [cases]);
  return { loaded: cases !== null, cases: cases ?? [], simCases, add, remove, error };
}
