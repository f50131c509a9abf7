"use client";

import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import type { AuditFilterValues } from "./filter-params";
import { apiFetch } from "@/lib/console/api-fetch";
import { auditPageSchema, type AuditRecordView, verifyResultSchema } from "./schemas";

export type { AuditFilterValues };

/** The audit explorer's data, through TanStack Query, from the /api/v1/audit endpoints. */


export function auditQueryString(filters: AuditFilterValues, extra: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) p.set(k, v);
  return p.toString();
}


export function useAuditSearch(filters: AuditFilterValues, pageSize = 100) {
  return useInfiniteQuery({
    queryKey: ["audit", "search", filters, pageSize],
    queryFn: ({ pageParam }) => apiFetch(`/api/v1/audit?${auditQueryString(filters, { limit: String(pageSize), cursor: pageParam ?? undefined })}`, auditPageSchema.parse),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

/** One record by seq (the drawer's previous / next links). */
export function useAuditRecord(seq: number | null, initial?: AuditRecordView) {
  return useQuery({
    queryKey: ["audit", "record", seq],
    enabled: seq !== null,
    initialData: initial && initial.seq === seq ? initial : undefined,
    queryFn: async () => (await apiFetch(`/api/v1/audit?seq=${seq}&limit=1`, auditPageSchema.parse)).records[0] ?? null,
  });
}

export function useAuditVerify() {
  return useMutation({ mutationFn: () => apiFetch("/api/v1/audit/verify", verifyResultSchema.parse) });
}
