"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import type { ApplyInput, ApplyResult, DiffInput, DiffResult, PolicyApi, PolicyApiError, PromoteResult, RollbackResult } from "./policy-api";
import { recordedCases } from "./sim-cases";

/** The studio's server state through TanStack Query: the active policy, the history, recorded calls, and the writes. */

export const RECORDED_CALLS = 200;

export function useActivePolicy(api: PolicyApi) {
  return useQuery({ queryKey: ["policy-studio", "active"], queryFn: ({ signal }) => api.active(signal), staleTime: 10_000 });
}

export function usePolicyVersions(api: PolicyApi, enabled = true) {
  return useQuery({ queryKey: ["policy-studio", "versions"], queryFn: () => api.versions(50), enabled, staleTime: 10_000 });
}

/** The tenant's last RECORDED_CALLS recorded tool calls as simulation cases (audit.read). */
export function useRecordedCalls(api: PolicyApi, enabled: boolean) {
  const q = useQuery({
    queryKey: ["policy-studio", "recorded-calls"],
    // A few more records than cases: records written after an approval wait are skipped.
    queryFn: ({ signal }) => api.recordedCalls(RECORDED_CALLS + 50, signal),
    enabled,
    staleTime: 60_000,
  });
  const cases = useMemo(() => recordedCases(q.data ?? [], RECORDED_CALLS), [q.data]);
  return { ...q, cases };
}

export function usePolicyDiff(api: PolicyApi, input: DiffInput | null, key: string) {
  return useQuery<DiffResult, PolicyApiError>({
    queryKey: ["policy-studio", "diff", key],
    enabled: input !== null,
    staleTime: 30_000,
    retry: false,
    queryFn: ({ signal }) => api.diff({ ...input!, replay_limit: 500 }, signal),
  });
}

function useInvalidateAfterWrite() {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ["policy-studio", "active"] }),
      client.invalidateQueries({ queryKey: ["policy-studio", "versions"] }),
      client.invalidateQueries({ queryKey: ["policy-studio", "diff"] }),
    ]);
}

export function useApplyPolicy(api: PolicyApi) {
  const invalidate = useInvalidateAfterWrite();
  return useMutation<ApplyResult, PolicyApiError, ApplyInput>({
    mutationFn: (input) => api.apply(input),
    onSuccess: () => invalidate(),
    // Another author applied since the draft started: show what runs now.
    onError: (err) => (err.code === "base_version_conflict" ? invalidate() : undefined),
  });
}

export function useRollbackPolicy(api: PolicyApi) {
  const invalidate = useInvalidateAfterWrite();
  return useMutation<RollbackResult, PolicyApiError, { version?: number; message?: string }>({ mutationFn: (input) => api.rollback(input), onSuccess: () => invalidate() });
}

export function usePromotePolicy(api: PolicyApi) {
  const invalidate = useInvalidateAfterWrite();
  return useMutation<PromoteResult, PolicyApiError, { version?: number; message?: string }>({ mutationFn: (input) => api.promote(input), onSuccess: () => invalidate() });
}
