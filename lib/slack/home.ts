import type { ApprovalView } from "@/lib/approvals";
import { memberMatches, type SlackMember } from "./votes";

/** Slack allows 100 blocks in a view: a header, a notice, and four blocks per approval. */
export const HOME_MAX_APPROVALS = 20;
/** Tenants one Slack user is linked in that the Home tab looks at. */
export const HOME_MAX_TENANTS = 10;

export interface SlackHomeDeps {
  /** The tenants this Slack user is linked in, with the member it is there. */
  membershipsOf(slackUserId: string, limit: number): Promise<(SlackMember & { tenantId: string })[]>;
  /** Pending approvals of one tenant, as `viewer` sees them (can_decide). */
  pendingFor(tenant: string, viewer: string, limit: number): Promise<ApprovalView[]>;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/**
 * The pending approvals a Slack user can vote on now: in each tenant where that Slack user (from
 * this workspace, when the link names one) is a member, those the member is eligible for. Another
 * tenant's approvals never appear: a tenant is looked at only through its own Slack link.
 */
export async function pendingForSlackUser(deps: SlackHomeDeps, slackUser: string, slackTeam: string | null): Promise<ApprovalView[]> {
  const members = (await deps.membershipsOf(slackUser, HOME_MAX_TENANTS)).filter((m) => memberMatches(m, slackTeam));
  const out: ApprovalView[] = [];
  for (const m of members) {
    if (out.length >= HOME_MAX_APPROVALS) break;
    const pending = await deps.pendingFor(m.tenantId, m.userId, HOME_MAX_APPROVALS);
    out.push(...pending.filter((a) => a.tenant === m.tenantId && a.status === "pending" && a.viewer?.can_decide));
  }
  return out.sort((a, b) => a.expires_at.localeCompare(b.expires_at)).slice(0, HOME_MAX_APPROVALS);
}

/** The App Home tab: the user's pending approvals, each with Approve / Deny (the same buttons as the channel message). */
export function homeView(approvals: ApprovalView[], opts: { notice?: string; consoleUrl?: string } = {}) {
  const blocks: unknown[] = [{ type: "header", text: { type: "plain_text", text: "Approvals waiting for you" } }];
  if (opts.notice) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: cut(esc(opts.notice), 2000) }] });
  if (approvals.length === 0) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: "Nothing is waiting for your decision. New requests appear here and in the approvals channel." } });
  }
  for (const a of approvals) {
    const expires = Math.floor(Date.parse(a.expires_at) / 1000);
    blocks.push(
      { type: "divider" },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: cut(
            `*${esc(a.summary ?? `${a.tool} by ${a.subject}`)}*\n\`${esc(a.tool)}\` by ${esc(a.subject)} in ${esc(a.tenant)} · ${a.approvals} of ${a.required_approvals} approvals${a.approver_group ? ` from ${esc(a.approver_group)}` : ""} · expires <!date^${expires}^{date_short_pretty} {time}|${a.expires_at}>`,
            3000,
          ),
        },
      },
      {
        type: "actions",
        block_id: `home:${a.id}`,
        elements: [
          { type: "button", action_id: "approve", style: "primary", value: a.id, text: { type: "plain_text", text: "Approve" } },
          { type: "button", action_id: "deny", style: "danger", value: a.id, text: { type: "plain_text", text: "Deny" } },
          ...(opts.consoleUrl ? [{ type: "button", action_id: "open", url: `${opts.consoleUrl}/approvals?id=${encodeURIComponent(a.id)}`, text: { type: "plain_text", text: "Open in CanopyIQ" } }] : []),
        ],
      },
      { type: "context", elements: [{ type: "mrkdwn", text: `\`${esc(a.id)}\`` }] },
    );
  }
  return { type: "home" as const, blocks };
}
