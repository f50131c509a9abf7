"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { type MintTokenBody, mintedTokenSchema, revokedTokenSchema, tokenListSchema } from "@/lib/access/token-schemas";
import { ApiError, apiFetch } from "./api-fetch";

export type TokenList = z.infer<typeof tokenListSchema>;
export type MintedToken = z.infer<typeof mintedTokenSchema>;

export function useTokensQuery() {
  return useQuery<TokenList, ApiError>({
    queryKey: ["tokens"],
    queryFn: () => apiFetch("/api/admin/tokens?limit=200", (v) => tokenListSchema.parse(v)),
  });
}

export function useMintTokenMutation() {
  const client = useQueryClient();
  return useMutation<MintedToken, ApiError, MintTokenBody>({
    mutationFn: (body) => apiFetch("/api/admin/tokens", (v) => mintedTokenSchema.parse(v), { method: "POST", body }),
    onSettled: () => client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}

export function useRevokeTokenMutation() {
  const client = useQueryClient();
  return useMutation<z.infer<typeof revokedTokenSchema>, ApiError, string>({
    mutationFn: (id) => apiFetch(`/api/admin/tokens/${encodeURIComponent(id)}`, (v) => revokedTokenSchema.parse(v), { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}
