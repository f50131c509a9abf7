import type { Verdict } from "@/lib/enforce/types";
import type { RoundBinding } from "../request-state";
import { approvalElicitation, elicitationIdOf } from "../relay/approval-elicitation";
import type { MethodContext } from "./context";

/**
 * Approvals inside a 2026-07-28 agent's chat (issue 15 item 4): a tools/call that needs approval
 * answers `input_required` with one URL-mode elicitation, the approval's page in the console, and
 * a requestState sealing the approval's id to tenant, subject, tool and arguments. The client's
 * answer to that elicitation is never read: only the approvers' votes in the console decide, and
 * the retry goes through the pipeline (approval binding, single use, deny precedence) as any
 * retry carrying an approval id does.
 */
export interface ChatApprovals {
  /** The console's public base URL: approval pages live under it. */
  consoleUrl: string;
  /** APPROVAL_SYNC_WAIT_MS: how long a retry waits for a decision before asking again. */
  syncWaitMs: number;
  /** Resolves with the approval's status once decided, or "pending" after `ms` (the approvals service's wait). */
  waitForDecision(id: string, ms: number): Promise<string>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether the request's own capabilities declare URL-mode elicitation (2026-07-28 declares per request). */
export function declaresUrlElicitation(capabilities: Record<string, unknown> | undefined): boolean {
  const elicitation = capabilities?.elicitation;
  return isObject(elicitation) && isObject(elicitation.url);
}

/**
 * The input_required answer for a call whose approval is still pending, or null when the call
 * is not waiting for one or the client cannot be asked (no URL-mode elicitation declared, no
 * console URL configured): it then gets the explained tool error, as before.
 */
export async function approvalInputRequired(verdict: Verdict, tool: string, binding: RoundBinding, ctx: MethodContext): Promise<Record<string, unknown> | null> {
  const approval = verdict.approval;
  if (ctx.era !== "stateless" || verdict.decision !== "approval" || !approval || approval.status !== "pending") return null;
  if (!ctx.approvals || !declaresUrlElicitation(ctx.client?.capabilities)) return null;
  const requestState = await ctx.requestState.seal({ approval: approval.id }, binding);
  const { trace: _trace, ...summary } = verdict;
  return {
    resultType: "input_required",
    inputRequests: { [elicitationIdOf(approval.id)]: { method: "elicitation/create", params: { ...approvalElicitation(approval, tool, ctx.approvals.consoleUrl) } } },
    requestState,
    _meta: { canopyiq: summary },
  };
}
