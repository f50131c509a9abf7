"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { type CreateTenantBody, type PatchTenantBody, type TenantActivity, tenantActivitySchema, tenantListSchema, type TenantView, tenantViewSchema } from "@/lib/access/schemas";
import { ApiError, apiFetch } from "./api-fetch";

const limits = { requests_per_minute: z.number().nullable(), max_concurrent: z.number().nullable(), daily_budget_usd: z.number().nullable(), monthly_budget_usd: z.number().nullable() };
const usage = z.object({ requests: z.number(), spent_usd: z.number(), window: z.string(), resets_at: z.string() });
/** GET /api/admin/tenants/{tenant}/quotas as the page reads it. */
export const quotaDescriptionSchema = z.object({
  tenant: z.string(),
  ...limits,
  tools: z.record(z.string(), z.object(limits)),
  updated_by: z.string().nullable(),
  updated_at: z.string().nullable(),
  usage: z.object({ day: usage, month: usage }),
});
export type QuotaDescription = z.infer<typeof quotaDescriptionSchema>;

export function useTenantsQuery() {
  return useQuery<{ tenants: TenantView[] }, ApiError>({ queryKey: ["tenants"], queryFn: () => apiFetch("/api/admin/tenants", (v) => tenantListSchema.parse(v)) });
}

export function useCreateTenantMutation() {
  const client = useQueryClient();
  return useMutation<TenantView, ApiError, CreateTenantBody>({
    mutationFn: (body) => apiFetch("/api/admin/tenants", (v) => tenantViewSchema.parse(v), { method: "POST", body }),
    onSettled: () => client.invalidateQueries({ queryKey: ["tenants"] }),
  });
}

export function usePatchTenantMutation() {
  const client = useQueryClient();
  return useMutation<TenantView, ApiError, PatchTenantBody>({
    mutationFn: (body) => apiFetch("/api/admin/tenants", (v) => tenantViewSchema.parse(v), { method: "PATCH", body }),
    onSettled: () => client.invalidateQueries({ queryKey: ["tenants"] }),
  });
}

export function useQuotasQuery(tenant: string) {
  return useQuery<QuotaDescription, ApiError>({
    queryKey: ["quotas", tenant],
    queryFn: () => apiFetch(`/api/admin/tenants/${encodeURIComponent(tenant)}/quotas`, (v) => quotaDescriptionSchema.parse(v)),
    refetchInterval: 10_000,
  });
}

export function useSaveQuotasMutation(tenant: string) {
  const client = useQueryClient();
  return useMutation<unknown, ApiError, Record<string, unknown>>({
    mutationFn: (body) => apiFetch(`/api/admin/tenants/${encodeURIComponent(tenant)}/quotas`, (v) => v, { method: "PUT", body }),
    // The activity charts draw the budget line too: refetch them with the settings, not at their next poll.
    onSettled: () => Promise.all([client.invalidateQueries({ queryKey: ["quotas", tenant] }), client.invalidateQueries({ queryKey: ["activity", tenant] })]),
  });
}

export function useTenantActivityQuery(tenant: string) {
  return useQuery<TenantActivity, ApiError>({
    queryKey: ["activity", tenant],
    queryFn: () => apiFetch(`/api/admin/tenants/${encodeURIComponent(tenant)}/activity?minutes=60&days=30`, (v) => tenantActivitySchema.parse(v)),
    refetchInterval: 15_000,
  });
}
