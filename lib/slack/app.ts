import { App, type BlockAction, type ButtonAction, type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import { approvalMessage, type ApprovalService } from "@/lib/approvals";
import type { PrismaClient } from "@/lib/db";
import { findApproval } from "@/lib/db/approvals";
import { findMemberBySlackId, listMembershipsBySlackId } from "@/lib/db/users";
import type { Logger } from "@/lib/log";
import type { KvStore } from "@/lib/redis";
import { homeView, pendingForSlackUser, type SlackHomeDeps } from "./home";
import { RouteReceiver } from "./receiver";
import { slackVote, type SlackVoteDeps, type SlackVoteOutcome } from "./votes";
import type { SlackWebClient } from "./web-client";

export interface SlackAppDeps {
  signingSecret: string;
  approvals: ApprovalService;
  prisma: PrismaClient;
  kv: KvStore;
  /** The Web API client (bot token): ephemeral answers and the App Home need it. Null in webhook-only mode. */
  web: SlackWebClient | null;
  /** SLACK_API_BASE_URL: response_url answers may go to Slack's hooks or to this origin (a local fake). */
  apiBaseUrl: string;
  consoleUrl?: string;
  nowSeconds(): number;
  log: Logger;
  keyPrefix?: string;
  ackDeadlineMs?: number;
  fetch?: typeof fetch;
}

export interface SlackApp {
  /** A signed request to the interactivity or Events API URL: the JSON to answer with. */
  handle(req: Request): Promise<Record<string, unknown>>;
  /** Awaits work still running after an answer (Web API calls after a vote). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const RESPONSE_URL_ORIGINS = ["https://hooks.slack.com"];

function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" ");
  return {
    debug: (...m) => log.debug({ module: "slack" }, text(m)),
    info: (...m) => log.info({ module: "slack" }, text(m)),
    warn: (...m) => log.warn({ module: "slack" }, text(m)),
    error: (...m) => log.error({ module: "slack" }, text(m)),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * The Slack app on Bolt: Approve / Deny buttons (in the channel message and the App Home) vote
 * through the approvals service as the member that Slack user is linked to in the approval's
 * tenant; the clicker is answered ephemerally (the vote, or why it did not count); the App Home
 * lists the approvals waiting for that user. The channel message itself is updated in place by
 * the approval notifier after every change, whoever made it.
 */
export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { web, log } = deps;
  const receiver = new RouteReceiver({
    signingSecret: deps.signingSecret,
    kv: deps.kv,
    keyPrefix: deps.keyPrefix ?? "canopy:slack:seen",
    nowSeconds: deps.nowSeconds,
    ackDeadlineMs: deps.ackDeadlineMs,
    onBackgroundError: (err) => log.warn({ err: String(err) }, "Slack listener failed after its request was answered"),
  });
  const app = new App({
    receiver,
    // One workspace, one bot token (or none: webhook mode answers through response_url only).
    authorize: async () => ({ botToken: undefined }),
    logger: boltLogger(log),
    convoStore: false,
    ignoreSelf: false,
  });

  const voteDeps: SlackVoteDeps = {
    approvalTenant: async (id) => (await findApproval(deps.prisma, id))?.tenantId ?? null,
    findMemberBySlackId: async (tenant, slackUserId) => {
      const m = await findMemberBySlackId(deps.prisma, tenant, slackUserId);
      return m ? { userId: m.userId, slackTeamId: m.slackTeamId, disabled: m.user.disabled } : null;
    },
    decide: (d) => deps.approvals.decide({ ...d, via: "slack", requireSignature: false }),
  };
  const homeDeps: SlackHomeDeps = {
    membershipsOf: (slackUserId, limit) => listMembershipsBySlackId(deps.prisma, slackUserId, limit),
    pendingFor: async (tenant, viewer, limit) => (await deps.approvals.list({ tenant, status: "pending", limit }, viewer)).approvals,
  };

  const allowedOrigins = new Set([...RESPONSE_URL_ORIGINS, new URL(deps.apiBaseUrl).origin]);
  /** Slack's response_url (signed into the payload), only to Slack's hooks or the configured API origin. */
  async function respond(url: string | undefined, message: Record<string, unknown>) {
    if (!url) return;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return;
    }
    if (!allowedOrigins.has(target.origin)) {
      log.warn({ origin: target.origin }, "Slack response_url outside Slack's hooks: not called");
      return;
    }
    const res = await (deps.fetch ?? fetch)(target, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(message), signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Slack response_url answered ${res.status}`);
  }

  async function publishHome(userId: string, team: string | null, notice?: string) {
    if (!web) return;
    const approvals = await pendingForSlackUser(homeDeps, userId, team);
    await web.views.publish({ user_id: userId, view: homeView(approvals, { notice, consoleUrl: deps.consoleUrl }) as Parameters<SlackWebClient["views"]["publish"]>[0]["view"] });
  }

  /** Tells the clicker what happened, where they clicked: the Home tab, the channel (ephemeral), or the response_url. */
  async function answer(body: BlockAction, outcome: SlackVoteOutcome, approvalId: string) {
    const team = body.team?.id ?? body.user.team_id ?? null;
    if (body.container?.type === "view" || body.view?.type === "home") {
      await publishHome(body.user.id, team, outcome.text);
      return;
    }
    if (web && body.channel?.id) {
      await web.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text: outcome.text });
    } else {
      await respond(body.response_url, { response_type: "ephemeral", replace_original: false, text: outcome.text });
    }
    // Webhook mode has no chat.update: the message is replaced through the click's response_url.
    if (!web && outcome.counted && body.response_url) {
      const row = await findApproval(deps.prisma, approvalId);
      if (row) await respond(body.response_url, { replace_original: true, ...approvalMessage(await deps.approvals.get(approvalId, row.tenantId), deps.consoleUrl) });
    }
  }

  app.action<BlockAction<ButtonAction>>({ type: "block_actions", action_id: /^(approve|deny)$/ }, async ({ ack, body, action }) => {
    const approvalId = action.value ?? "";
    const outcome = await slackVote(voteDeps, {
      approvalId,
      slackUser: body.user.id,
      slackTeam: body.team?.id ?? body.user.team_id ?? null,
      decision: action.action_id === "approve" ? "approved" : "rejected",
    });
    // The HTTP answer carries the same ephemeral text (Slack shows the posted one; API clients read this).
    await (ack as (r: unknown) => Promise<void>)({ response_type: "ephemeral", replace_original: false, text: outcome.text });
    await answer(body, outcome, approvalId);
  });
  // The "Open in CanopyIQ" link button: Slack still sends the click, which needs an answer.
  app.action({ type: "block_actions", action_id: "open" }, async ({ ack }) => ack());

  app.event("app_home_opened", async ({ event, body }) => {
    if (event.tab && event.tab !== "home") return;
    await publishHome(event.user, (body as { team_id?: string }).team_id ?? null);
  });

  return {
    handle: (req) => receiver.handle(req),
    flush: () => receiver.flush(),
    close: () => receiver.stop(),
  };
}
