import type { ApprovalInfo } from "@/lib/enforce/types";

/**
 * How a pending approval is put to the human through the agent's client: a URL-mode elicitation
 * (MCP 2025-11-25) pointing at the approval's own page in the console, where approvers decide
 * after signing in. Never form mode: an answer typed into the agent's client proves nothing about
 * who approved. Shared by the 2025-11-25 relay (elicitation/create on the call's stream) and the
 * 2026-07-28 input_required path.
 */
export interface ApprovalElicitation {
  mode: "url";
  elicitationId: string;
  url: string;
  message: string;
}

/** The elicitation id of an approval: stable, so a retry and the completion name the same one. */
export const elicitationIdOf = (approvalId: string) => `canopy-approval-${approvalId}`;

/** The approval's page in the console, from the console's public base URL. */
export function approvalPageUrl(consoleUrl: string, approvalId: string): string {
  const base = new URL(consoleUrl);
  const url = new URL(`${base.pathname.replace(/\/$/, "")}/approvals`, base);
  url.searchParams.set("id", approvalId);
  return url.toString();
}

export function approvalElicitation(approval: ApprovalInfo, tool: string, consoleUrl: string): ApprovalElicitation {
  const who = approval.approver_group ? ` from ${approval.approver_group}` : "";
  const count = approval.required_approvals > 1 ? `${approval.required_approvals} approvals${who}` : `an approval${who}`;
  return {
    mode: "url",
    elicitationId: elicitationIdOf(approval.id),
    url: approvalPageUrl(consoleUrl, approval.id),
    message: `The call to ${tool} needs ${count} before it runs (approval ${approval.id}, expires ${approval.expires_at}). Open the link to review it in CanopyIQ; the call continues once approvers decide.`,
  };
}

/** The notification that tells the client an approval's elicitation is over. */
export function approvalElicitationComplete(approvalId: string): { method: "notifications/elicitation/complete"; params: { elicitationId: string } } {
  return { method: "notifications/elicitation/complete", params: { elicitationId: elicitationIdOf(approvalId) } };
}
