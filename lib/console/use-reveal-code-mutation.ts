"use client";

import { useMutation } from "@tanstack/react-query";
import { type RevealedCode, revealedCodeSchema } from "@/lib/approvals/schemas";
import { ApiError } from "./use-approvals-query";

/** The inbox's "Reveal my code": the signed-in approver's personal one-time code for a pending approval. */
export function useRevealCodeMutation() {
  return useMutation<RevealedCode, ApiError, { id: string }>({
    mutationFn: async ({ id }) => {
      const res = await fetch(`/api/v1/approvals/${encodeURIComponent(id)}/code`, { method: "POST", headers: { "content-type": "application/json" }, cache: "no-store" });
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      if (!res.ok) throw new ApiError(res.status, body.error?.code ?? "error", body.error?.message ?? `request failed (${res.status})`);
      return revealedCodeSchema.parse(body);
    },
  });
}
