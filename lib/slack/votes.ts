import { isAppError } from "@/lib/errors";

/** Who a Slack user is in one tenant: a Slack link counts only in the tenant that made it. */
export interface SlackMember {
  userId: string;
  slackTeamId: string | null;
  disabled: boolean;
}

export interface SlackVoteDeps {
  /** The approval's tenant (null when it does not exist). */
  approvalTenant(id: string): Promise<string | null>;
  findMemberBySlackId(tenant: string, slackUserId: string): Promise<SlackMember | null>;
  /** The approvals service's vote (N-of-M, deny precedence, eligibility, binding). */
  decide(input: { id: string; tenant: string; approver: string; decision: "approved" | "rejected" }): Promise<{ status: string; approvals: number; required_approvals: number }>;
}

export interface SlackVoteInput {
  approvalId: string;
  slackUser: string;
  slackTeam: string | null;
  decision: "approved" | "rejected";
}

export type SlackVoteOutcome =
  | { counted: true; text: string; approver: string; status: string }
  | { counted: false; text: string; code: string };

/** A member linked to this Slack user in `tenant` who may act there (and from this workspace, when the link names one). */
export function memberMatches(m: SlackMember | null, slackTeam: string | null): m is SlackMember {
  return !!m && !m.disabled && (m.slackTeamId === null || m.slackTeamId === slackTeam);
}

/**
 * One Slack button click as a vote, through the approvals service. What Slack says back to the
 * clicker names the outcome, or the reason the click did not count (unknown approval, unlinked
 * Slack user, not an approver, self-approval, already voted, already decided, expired).
 */
export async function slackVote(deps: SlackVoteDeps, input: SlackVoteInput): Promise<SlackVoteOutcome> {
  const { approvalId, slackUser, slackTeam, decision } = input;
  const tenant = approvalId ? await deps.approvalTenant(approvalId) : null;
  if (!tenant) return { counted: false, code: "not_found", text: `Approval ${approvalId || "(none)"} was not found; nothing was changed.` };
  const member = slackUser ? await deps.findMemberBySlackId(tenant, slackUser) : null;
  if (!memberMatches(member, slackTeam)) {
    // The tenant is not named: a Slack user outside it learns nothing about whose approval this is.
    return {
      counted: false,
      code: "not_linked",
      text: `Your Slack account (${slackUser || "unknown"}) is not linked to a member of the tenant this approval belongs to, so your click was not counted. Ask an admin of that tenant to link it (PUT /admin/rbac/{tenant}/users/{user} with "slack_user_id").`,
    };
  }
  try {
    const r = await deps.decide({ id: approvalId, tenant, approver: member.userId, decision });
    const progress = r.status === "pending" ? ` (${r.approvals} of ${r.required_approvals} approvals so far)` : ` — the request is now ${r.status}`;
    return { counted: true, approver: member.userId, status: r.status, text: `You ${decision} ${approvalId} as ${member.userId}${progress}.` };
  } catch (err) {
    if (isAppError(err)) return { counted: false, code: err.code, text: `Your click was not counted: ${err.message}.` };
    throw err;
  }
}
