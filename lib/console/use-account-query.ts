"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type AccountPutBody, type AccountView, accountViewSchema } from "@/lib/access/account-schemas";
import { ApiError, apiFetch } from "./api-fetch";

export function useAccountQuery() {
  return useQuery<AccountView, ApiError>({ queryKey: ["account"], queryFn: () => apiFetch("/api/account", (v) => accountViewSchema.parse(v)) });
}

export function useUpdateAccountMutation() {
  const client = useQueryClient();
  return useMutation<AccountView, ApiError, AccountPutBody>({
    mutationFn: (body) => apiFetch("/api/account", (v) => accountViewSchema.parse(v), { method: "PUT", body }),
    onSuccess: (data) => client.setQueryData(["account"], data),
  });
}
