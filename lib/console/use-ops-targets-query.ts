"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type Connectivity, ConnectivitySchema, TargetListSchema, type TargetView, TargetViewSchema } from "@/lib/ops/admin-schemas";
import type { z } from "zod";
import { ApiError, apiFetch } from "./api-fetch";

export type TargetList = z.infer<typeof TargetListSchema>;

const KEY = ["ops-targets"];
const path = (id: string) => `/api/ops/targets/${encodeURIComponent(id)}`;

export function useOpsTargetsQuery() {
  return useQuery<TargetList, ApiError>({ queryKey: KEY, queryFn: () => apiFetch("/api/ops/targets?limit=200", (v) => TargetListSchema.parse(v)) });
}

export function useSaveOpsTargetMutation() {
  const client = useQueryClient();
  return useMutation<TargetView, ApiError, { mode: "create" | "edit"; id: string; body: Record<string, unknown> }>({
    mutationFn: ({ mode, id, body }) =>
      apiFetch(mode === "create" ? "/api/ops/targets" : path(id), (v) => TargetViewSchema.parse(v), { method: mode === "create" ? "POST" : "PUT", body }),
    onSettled: () => client.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDeleteOpsTargetMutation() {
  const client = useQueryClient();
  return useMutation<unknown, ApiError, string>({
    mutationFn: (id) => apiFetch(path(id), (v) => v, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: KEY }),
  });
}

export function useTestOpsTargetMutation() {
  return useMutation<Connectivity, ApiError, string>({ mutationFn: (id) => apiFetch(`${path(id)}/test`, (v) => ConnectivitySchema.parse(v), { method: "POST" }) });
}
