"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { EmergencyStatusSchema, type EmergencyView, EmergencyViewSchema } from "@/lib/ops/emergency-schemas";
import { ApiError, apiFetch } from "./api-fetch";

export type EmergencyStatus = z.infer<typeof EmergencyStatusSchema>;
const KEY = ["ops-emergency"];

/** Re-read every 30 s (and on focus), so a banner appears and disappears without a reload. */
export function useEmergencyQuery() {
  return useQuery<EmergencyStatus, ApiError>({ queryKey: KEY, queryFn: () => apiFetch("/api/ops/emergency", (v) => EmergencyStatusSchema.parse(v)), refetchInterval: 30_000 });
}

export function useActivateEmergencyMutation() {
  const client = useQueryClient();
  return useMutation<EmergencyView, ApiError, { reason: string; minutes: number }>({
    mutationFn: (body) => apiFetch("/api/ops/emergency", (v) => EmergencyViewSchema.parse(v), { method: "POST", body }),
    onSettled: () => client.invalidateQueries({ queryKey: KEY }),
  });
}

export function useEndEmergencyMutation() {
  const client = useQueryClient();
  return useMutation<EmergencyView, ApiError, void>({
    mutationFn: () => apiFetch("/api/ops/emergency", (v) => EmergencyViewSchema.parse(v), { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: KEY }),
  });
}
