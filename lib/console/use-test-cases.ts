"use client";

import { useCallback, useEffect, useMemo, useState } from "react";
import { MAX_TEST_CASES, type PolicyTestCase, type TestCaseStore, testCaseToSimCase, uniqueName } from "./test-cases";

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
      store.save?.(next).then(
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
      const named = { ...tc, name: uniqueName(tc.name, current) };
      if (!store.add) return persist([...current, named]);
      store.add(named).then(
        (saved) => {
          setCases((prev) => [...(prev ?? []), saved]);
          setError(null);
        },
        (err: Error) => setError(`the test case was not saved: ${err.message}`),
      );
    },
    [cases, persist, store],
  );

  const remove = useCallback(
    (id: string) => {
      if (!store.remove) return persist((cases ?? []).filter((c) => c.id !== id));
      store.remove(id).then(
        () => {
          setCases((prev) => (prev ?? []).filter((c) => c.id !== id));
          setError(null);
        },
        (err: Error) => setError(`the test case was not removed: ${err.message}`),
      );
    },
    [cases, persist, store],
  );
  const simCases = useMemo(() => (cases ?? []).map(testCaseToSimCase), [cases]);
  return { loaded: cases !== null, cases: cases ?? [], simCases, add, remove, error };
}
