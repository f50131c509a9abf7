"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ApprovalList, approvalListSchema, type DecisionResult, decisionResultSchema } from "@/lib/approvals/schemas";

/** The inbox's data: short polling through TanStack Query (every replica serves the same Postgres state). */

export interface ApprovalFilter {
  status: "pending" | "approved" | "rejected" | "expired" | "executed" | "all";
  tool?: string;
  subject?: string;
  limit?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(url: string, parse: (v: unknown) => T, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) }, cache: "no-store" });
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.code ?? "error", body.error?.message ?? `request failed (${res.status})`);
  return parse(body);
}

export function approvalsUrl(f: ApprovalFilter): string {
  const q = new URLSearchParams({ status: f.status, limit: String(f.limit ?? 50) });
  if (f.tool) q.set("tool", f.tool);
  if (f.subject) q.set("subject", f.subject);
  return `/api/v1/approvals?${q}`;
}

export function useApprovalsQuery(filter: ApprovalFilter, opts: { refetchMs?: number } = {}) {
  return useQuery<ApprovalList, ApiError>({
    queryKey: ["approvals", filter],
    queryFn: () => api(approvalsUrl(filter), (v) => approvalListSchema.parse(v)),
    refetchInterval: opts.refetchMs ?? 2_000,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
}

export function useDecideMutation() {
  const client = useQueryClient();
  return useMutation<DecisionResult, ApiError, { id: string; decision: "approved" | "rejected"; comment?: string }>({
    mutationFn: ({ id, decision, comment }) =>
      api(`/api/v1/approvals/${encodeURIComponent(id)}/approve`, (v) => decisionResultSchema.parse(v), {
        method: "POST",
        body: JSON.stringify({ decision, ...(comment ? { comment } : {}) }),
      }),
    onSettled: () => client.invalidateQueries({ queryKey: ["approvals"] }),
  });
}
