"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ApprovalList, approvalListSchema, type DecisionResult, decisionResultSchema } from "@/lib/approvals/schemas";
import { ApiError, apiFetch } from "./api-fetch";

/** The inbox's data: short polling through TanStack Query (every replica serves the same Postgres state). */

export interface ApprovalFilter {
  status: "pending" | "approved" | "rejected" | "expired" | "executed" | "all";
  tool?: string;
  subject?: string;
  limit?: number;
}

export { ApiError };

export function approvalsUrl(f: ApprovalFilter): string {
  const q = new URLSearchParams({ status: f.status, limit: String(f.limit ?? 50) });
  if (f.tool) q.set("tool", f.tool);
  if (f.subject) q.set("subject", f.subject);
  return `/api/v1/approvals?${q}`;
}

export function useApprovalsQuery(filter: ApprovalFilter, opts: { refetchMs?: number } = {}) {
  return useQuery<ApprovalList, ApiError>({
    queryKey: ["approvals", filter],
    queryFn: () => apiFetch(approvalsUrl(filter), (v) => approvalListSchema.parse(v)),
    refetchInterval: opts.refetchMs ?? 2_000,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
}

export function useDecideMutation() {
  const client = useQueryClient();
  return useMutation<DecisionResult, ApiError, { id: string; decision: "approved" | "rejected"; comment?: string }>({
    mutationFn: ({ id, decision, comment }) =>
      apiFetch(`/api/v1/approvals/${encodeURIComponent(id)}/approve`, (v) => decisionResultSchema.parse(v), {
        method: "POST",
        body: { decision, ...(comment ? { comment } : {}) },
      }),
    onSettled: () => client.invalidateQueries({ queryKey: ["approvals"] }),
  });
}
