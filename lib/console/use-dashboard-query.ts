"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type Dashboard, type DashboardRange, dashboardSchema } from "@/lib/dashboard/schemas";
import { ApiError, apiFetch } from "./api-fetch";

/** GET /api/v1/dashboard for one tenant and range, refreshed while the page is open. */
export function useDashboardQuery(tenant: string, range: DashboardRange, ownTenant: string) {
  const params = new URLSearchParams({ range });
  if (tenant !== ownTenant) params.set("tenant", tenant);
  return useQuery<Dashboard, ApiError>({
    queryKey: ["dashboard", tenant, range],
    queryFn: () => apiFetch(`/api/v1/dashboard?${params}`, (v) => dashboardSchema.parse(v)),
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });
}
