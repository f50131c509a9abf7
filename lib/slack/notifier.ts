import { approvalMessage, personalCodeMessage, type ApprovalNotifier, type ApprovalView, type SlackMessageRef } from "@/lib/approvals";
import type { SlackWebClient } from "./web-client";

export interface SlackNotifierConfig {
  /** With a bot token: messages are posted with chat.postMessage and updated in place with chat.update. */
  web?: SlackWebClient | null;
  /** Without one: seed 000's incoming webhook (post only, one channel). */
  webhookUrl?: string;
  defaultChannel?: string;
  /** approver group → channel */
  channels: Record<string, string>;
  consoleUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** How many approvals' last-sent state is remembered (to never send an older state over a newer one). */
  remember?: number;
}

export function parseChannelMap(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (spec ?? "").split(",")) {
    const [group, channel] = pair.split("=").map((s) => s.trim());
    if (group && channel) out[group] = channel;
  }
  return out;
}

/**
 * How far along an approval is: a state never goes back, so an update computed earlier (a slower
 * vote's) must not overwrite a later one at Slack.
 */
function progressRank(a: ApprovalView): number {
  const final = a.status === "pending" ? 0 : a.status === "executed" ? 2 : 1;
  return final * 1_000_000 + a.votes.length;
}

/**
 * Approval messages: one message per approval, updated in place (who voted, k of N, the final
 * state) after every vote from any channel (Slack, inbox, API) and on expiry. The approval service
 * calls `updated` after each committed change, on whichever replica made it, with the stored
 * channel and ts, so the replica that votes updates the message another one posted.
 */
export function slackNotifier(cfg: SlackNotifierConfig): ApprovalNotifier {
  const web = cfg.web ?? null;
  // Per approval, in this process: the post in flight (a vote may land before its ts is stored),
  // the chain of updates (sent one at a time), and the progress last sent.
  const posting = new Map<string, Promise<SlackMessageRef | null>>();
  const chains = new Map<string, Promise<void>>();
  const sent = new Map<string, number>();
  const remember = cfg.remember ?? 1_000;

  function noteSent(id: string, rank: number) {
    sent.delete(id);
    sent.set(id, rank);
    if (sent.size > remember) sent.delete(sent.keys().next().value as string);
  }

  async function postWebhook(url: string, body: unknown) {
    const res = await (cfg.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(cfg.timeoutMs ?? 5_000),
    });
    if (!res.ok) throw new Error(`Slack incoming webhook answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }

  async function sendUpdate(a: ApprovalView, ref: SlackMessageRef | null) {
    const where = ref ?? (await posting.get(a.id)?.catch(() => null)) ?? null;
    if (!web || !where) return;
    const rank = progressRank(a);
    if ((sent.get(a.id) ?? -1) > rank) return;
    await web.chat.update({ channel: where.channel, ts: where.ts, ...approvalMessage(a, cfg.consoleUrl) });
    noteSent(a.id, rank);
  }

  return {
    async created(a) {
      const message = approvalMessage(a, cfg.consoleUrl);
      if (web) {
        const channel = (a.approver_group && cfg.channels[a.approver_group]) || cfg.defaultChannel;
        if (!channel) throw new Error("SLACK_BOT_TOKEN is set but no channel: set SLACK_APPROVAL_CHANNEL or SLACK_APPROVAL_CHANNELS");
        const post = web.chat.postMessage({ channel, ...message }).then((r) => ({ channel: String(r.channel ?? channel), ts: String(r.ts) }));
        posting.set(a.id, post);
        try {
          const ref = await post;
          noteSent(a.id, progressRank(a));
          return ref;
        } finally {
          posting.delete(a.id);
        }
      }
      if (cfg.webhookUrl) await postWebhook(cfg.webhookUrl, message);
      return null;
    },
    updated(a, ref) {
      if (!web) return Promise.resolve();
      const next = (chains.get(a.id) ?? Promise.resolve()).then(() => sendUpdate(a, ref));
      const settled = next.catch(() => {});
      chains.set(a.id, settled);
      void settled.then(() => {
        if (chains.get(a.id) === settled) chains.delete(a.id);
      });
      return next;
    },
    // A webhook posts to one channel only: personal codes go by direct message, so only with a bot token.
    ...(web
      ? {
          async personalCode(a: ApprovalView, to: { approver: string; slackUserId: string }, code: string) {
            await web.chat.postMessage({ channel: to.slackUserId, ...personalCodeMessage(a, to.approver, code) });
          },
        }
      : {}),
  };
}
