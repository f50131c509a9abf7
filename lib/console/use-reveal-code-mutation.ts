"use client";

import { useMutation } from "@tanstack/react-query";
import { type RevealedCode, revealedCodeSchema } from "@/lib/approvals/schemas";
import { ApiError, apiFetch } from "./api-fetch";

/** The inbox's "Reveal my code": the signed-in approver's personal one-time code for a pending approval. */
export function useRevealCodeMutation() {
  return useMutation<RevealedCode, ApiError, { id: string }>({
    mutationFn: ({ id }) => apiFetch(`/api/v1/approvals/${encodeURIComponent(id)}/code`, (v) => revealedCodeSchema.parse(v), { method: "POST" }),
  });
}
