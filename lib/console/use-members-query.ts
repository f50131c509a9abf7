"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  type InviteBody,
  type InviteResult,
  inviteResultSchema,
  type MemberList,
  memberListSchema,
  type MemberPutBody,
  type MemberView,
  memberViewSchema,
} from "@/lib/access/schemas";
import { ApiError, apiFetch } from "./api-fetch";

const base = (tenant: string) => `/api/admin/rbac/${encodeURIComponent(tenant)}`;

export function useMembersQuery(tenant: string) {
  return useQuery<MemberList, ApiError>({
    queryKey: ["members", tenant],
    queryFn: () => apiFetch(`${base(tenant)}/users`, (v) => memberListSchema.parse(v)),
  });
}

export function useSaveMemberMutation(tenant: string) {
  const client = useQueryClient();
  return useMutation<MemberView, ApiError, { user: string; body: MemberPutBody }>({
    mutationFn: ({ user, body }) => apiFetch(`${base(tenant)}/users/${encodeURIComponent(user)}`, (v) => memberViewSchema.parse(v), { method: "PUT", body }),
    onSettled: () => client.invalidateQueries({ queryKey: ["members", tenant] }),
  });
}

export function useRemoveMemberMutation(tenant: string) {
  const client = useQueryClient();
  return useMutation<unknown, ApiError, string>({
    mutationFn: (user) => apiFetch(`${base(tenant)}/users/${encodeURIComponent(user)}`, (v) => v, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: ["members", tenant] }),
  });
}

export function useInviteMutation(tenant: string) {
  const client = useQueryClient();
  return useMutation<InviteResult, ApiError, InviteBody>({
    mutationFn: (body) => apiFetch(`${base(tenant)}/invitations`, (v) => inviteResultSchema.parse(v), { method: "POST", body }),
    onSettled: () => client.invalidateQueries({ queryKey: ["members", tenant] }),
  });
}
