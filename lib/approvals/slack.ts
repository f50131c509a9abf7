import { hmacSha256Hex, hmacVerifyHex } from "@/lib/signing/hmac";
import { AppError, isAppError } from "@/lib/errors";
import type { ApprovalView } from "./schemas";
import type { ApprovalNotifier } from "./service";

/** Slack (seed 000): Block Kit approval messages, and the signed interactivity callback. */

export const SLACK_TOLERANCE_SECONDS = 300;

export type SlackVerifyFailure = "missing_headers" | "bad_timestamp" | "stale_timestamp" | "bad_version" | "bad_signature" | "not_configured";

type SlackHeaderCheck = {
  signingSecret: string | undefined;
  timestamp: string | null;
  signature: string | null;
  nowSeconds: number;
  toleranceSeconds?: number;
};

/**
 * Everything about a Slack request that can be checked without its body: configured, signature
 * headers present and well formed, timestamp within ±300 s of now. Runs before the body is read,
 * so an unsigned or replayed request costs nothing to refuse.
 */
export function checkSlackHeaders(input: SlackHeaderCheck): { ok: true; hex: string } | { ok: false; reason: SlackVerifyFailure } {
  if (!input.signingSecret) return { ok: false, reason: "not_configured" };
  if (!input.timestamp || !input.signature) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: "bad_timestamp" };
  if (Math.abs(input.nowSeconds - Number(input.timestamp)) > (input.toleranceSeconds ?? SLACK_TOLERANCE_SECONDS)) return { ok: false, reason: "stale_timestamp" };
  const m = input.signature.match(/^(v\d+)=([0-9a-f]{64})$/);
  if (!m) return { ok: false, reason: "bad_signature" };
  if (m[1] !== "v0") return { ok: false, reason: "bad_version" };
  return { ok: true, hex: m[2] };
}

/**
 * Slack's request signing: `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`),
 * the timestamp within ±300 s of now (either way), compared in constant time. Runs on the raw
 * bytes before anything is parsed.
 */
export function verifySlackSignature(input: SlackHeaderCheck & { rawBody: string }): { ok: true } | { ok: false; reason: SlackVerifyFailure } {
  const h = checkSlackHeaders(input);
  if (!h.ok) return h;
  return hmacVerifyHex(input.signingSecret!, `v0:${input.timestamp}:${input.rawBody}`, h.hex) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

/** For tests and tools: the headers Slack would send with `rawBody` at `timestamp`. */
export function signSlackRequest(signingSecret: string, timestamp: number, rawBody: string) {
  const sig = hmacSha256Hex(signingSecret, `v0:${timestamp}:${rawBody}`);
  return { "x-slack-request-timestamp": String(timestamp), "x-slack-signature": `v0=${sig}` };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function truncate(s: string, max: number) {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const STATUS_LINE: Record<string, string> = {
  approved: ":white_check_mark: *Approved*",
  rejected: ":no_entry: *Rejected*",
  expired: ":hourglass: *Expired* — nobody decided in time",
  executed: ":white_check_mark: *Approved and executed*",
};

/** The Block Kit message for one approval; buttons only while it is pending. */
export function approvalMessage(a: ApprovalView, consoleUrl?: string): { text: string; blocks: unknown[] } {
  const progress = `${a.approvals} of ${a.required_approvals} approval${a.required_approvals === 1 ? "" : "s"}`;
  const expiresEpoch = Math.floor(Date.parse(a.expires_at) / 1000);
  const text = `Approval ${a.status === "pending" ? "needed" : a.status}: ${a.tool} by ${a.subject} in ${a.tenant} (${progress})`;
  const fields = [
    `*Tool*\n\`${esc(a.tool)}\``,
    `*Tenant*\n${esc(a.tenant)}`,
    `*Requester*\n${esc(a.subject)}${a.requested_by !== a.subject ? ` (filed by ${esc(a.requested_by)})` : ""}`,
    `*Rule*\n${esc(a.rule ?? "—")}`,
    `*Approvals*\n${progress}${a.approver_group ? ` from ${esc(a.approver_group)}` : ""}`,
    `*Expires*\n<!date^${expiresEpoch}^{date_short_pretty} {time}|${a.expires_at}>`,
  ].map((t) => ({ type: "mrkdwn", text: t }));
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: truncate(`Approval ${a.status === "pending" ? "needed" : a.status}: ${a.tool}`, 150) } },
    { type: "section", text: { type: "mrkdwn", text: truncate(`*${esc(a.summary ?? `${a.tool} by ${a.subject}`)}*${a.reason ? `\n${esc(a.reason)}` : ""}`, 3000) } },
    { type: "section", fields },
    { type: "section", text: { type: "mrkdwn", text: truncate(`*Arguments*\n\`\`\`${esc(JSON.stringify(a.args, null, 2))}\`\`\``, 3000) } },
  ];
  if (a.votes.length > 0) {
    blocks.push({
      type: "context",
      elements: a.votes.slice(0, 10).map((v) => ({
        type: "mrkdwn",
        text: truncate(`${v.decision === "approved" ? ":white_check_mark:" : ":no_entry:"} ${esc(v.approver)} ${v.decision}${v.comment ? `: “${esc(v.comment)}”` : ""}`, 300),
      })),
    });
  }
  if (a.status === "pending") {
    const elements: unknown[] = [
      { type: "button", action_id: "approve", style: "primary", value: a.id, text: { type: "plain_text", text: "Approve" } },
      { type: "button", action_id: "deny", style: "danger", value: a.id, text: { type: "plain_text", text: "Deny" } },
    ];
    if (consoleUrl) elements.push({ type: "button", action_id: "open", url: `${consoleUrl}/approvals?id=${encodeURIComponent(a.id)}`, text: { type: "plain_text", text: "Open in CanopyIQ" } });
    blocks.push({ type: "actions", block_id: `approval:${a.id}`, elements });
  } else {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: STATUS_LINE[a.status] ?? a.status } });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `\`${esc(a.id)}\`${a.trace_id ? ` · trace \`${esc(a.trace_id)}\`` : ""}` }] });
  return { text, blocks };
}

export interface SlackConfig {
  botToken?: string;
  webhookUrl?: string;
  apiBaseUrl: string;
  defaultChannel?: string;
  /** approver group → channel */
  channels: Record<string, string>;
  consoleUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function parseChannelMap(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (spec ?? "").split(",")) {
    const [group, channel] = pair.split("=").map((s) => s.trim());
    if (group && channel) out[group] = channel;
  }
  return out;
}

async function slackCall(cfg: SlackConfig, url: string, body: unknown, bearer?: string): Promise<Record<string, unknown>> {
  const res = await (cfg.fetch ?? fetch)(url, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(cfg.timeoutMs ?? 5_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Slack ${new URL(url).pathname} answered ${res.status}: ${truncate(text, 200)}`);
  if (!bearer) return {};
  const json = JSON.parse(text) as Record<string, unknown>;
  if (json.ok !== true) throw new Error(`Slack ${new URL(url).pathname} failed: ${String(json.error ?? "unknown error")}`);
  return json;
}

/** Posts with the Web API (bot token; messages can be updated) or an incoming webhook (post only). */
export function slackNotifier(cfg: SlackConfig): ApprovalNotifier {
  const api = cfg.apiBaseUrl.replace(/\/$/, "");
  return {
    async created(a) {
      const message = approvalMessage(a, cfg.consoleUrl);
      if (cfg.botToken) {
        const channel = (a.approver_group && cfg.channels[a.approver_group]) || cfg.defaultChannel;
        if (!channel) throw new Error("SLACK_BOT_TOKEN is set but no channel: set SLACK_APPROVAL_CHANNEL or SLACK_APPROVAL_CHANNELS");
        const r = await slackCall(cfg, `${api}/chat.postMessage`, { channel, ...message }, cfg.botToken);
        return { channel: String(r.channel ?? channel), ts: String(r.ts) };
      }
      if (cfg.webhookUrl) await slackCall(cfg, cfg.webhookUrl, message);
      return null;
    },
    async updated(a, ref) {
      if (!cfg.botToken || !ref) return;
      await slackCall(cfg, `${api}/chat.update`, { channel: ref.channel, ts: ref.ts, ...approvalMessage(a, cfg.consoleUrl) }, cfg.botToken);
    },
    // A webhook posts to one channel only: personal codes go by direct message, so only with a bot token.
    ...(cfg.botToken
      ? {
          async personalCode(a: ApprovalView, to: { approver: string; slackUserId: string }, code: string) {
            await slackCall(cfg, `${api}/chat.postMessage`, { channel: to.slackUserId, ...personalCodeMessage(a, to.approver, code) }, cfg.botToken);
          },
        }
      : {}),
  };
}

interface InteractionPayload {
  type?: string;
  user?: { id?: string; team_id?: string };
  team?: { id?: string };
  actions?: { action_id?: string; value?: string }[];
  response_url?: string;
}

export interface SlackInteractionDeps {
  signingSecret: string | undefined;
  nowSeconds: number;
  /** The approval's tenant, for deciding in it (null when it does not exist). */
  approvalTenant(id: string): Promise<string | null>;
  /** The member of `tenant` linked to this Slack user, if any: a Slack link counts only in its own tenant. */
  findMemberBySlackId(tenant: string, slackUserId: string): Promise<{ userId: string; slackTeamId: string | null; disabled: boolean } | null>;
  decide(input: { id: string; tenant: string; approver: string; decision: "approved" | "rejected" }): Promise<{ status: string; approvals: number; required_approvals: number }>;
  /** With a webhook (no chat.update), the original message is replaced through Slack's response_url. */
  replaceOriginal?(responseUrl: string, approvalId: string): Promise<void>;
}

const ephemeral = (text: string) => ({ response_type: "ephemeral", replace_original: false, text });

function signatureRejected(reason: SlackVerifyFailure): AppError {
  if (reason === "not_configured") return new AppError(503, "slack_not_configured", "Slack interactivity is not configured: set SLACK_SIGNING_SECRET");
  return new AppError(401, "invalid_slack_signature", `Slack request signature rejected (${reason})`);
}

/**
 * POST /api/approvals/slack/callback. The signature headers and timestamp are checked before the
 * body is read, the body is then read by `body` (bounded by the caller: BODY_LIMIT_SLACK_BYTES),
 * and its signature verified before anything is parsed; an unlinked or unauthorized Slack user
 * gets an ephemeral explanation and nothing changes.
 */
export async function handleSlackInteraction(body: string | (() => Promise<string>), headers: Headers, deps: SlackInteractionDeps): Promise<Record<string, unknown>> {
  const signed = {
    signingSecret: deps.signingSecret,
    timestamp: headers.get("x-slack-request-timestamp"),
    signature: headers.get("x-slack-signature"),
    nowSeconds: deps.nowSeconds,
  };
  const h = checkSlackHeaders(signed);
  if (!h.ok) throw signatureRejected(h.reason);
  const rawBody = typeof body === "string" ? body : await body();
  const v = verifySlackSignature({ ...signed, rawBody });
  if (!v.ok) throw signatureRejected(v.reason);
  let payload: InteractionPayload;
  try {
    payload = JSON.parse(new URLSearchParams(rawBody).get("payload") ?? "") as InteractionPayload;
  } catch {
    throw new AppError(400, "bad_request", "expected a form field `payload` with Slack's interaction JSON");
  }
  const action = payload.actions?.[0];
  if (payload.type !== "block_actions" || !action || (action.action_id !== "approve" && action.action_id !== "deny")) return {};
  const approvalId = action.value ?? "";
  const slackUser = payload.user?.id ?? "";
  const slackTeam = payload.team?.id ?? payload.user?.team_id ?? null;
  const tenant = await deps.approvalTenant(approvalId);
  if (!tenant) return ephemeral(`Approval ${approvalId} was not found; nothing was changed.`);
  // The vote counts only for a member linked to this Slack user in the approval's own tenant
  // (and, when the link names a workspace, only from that workspace).
  const member = slackUser ? await deps.findMemberBySlackId(tenant, slackUser) : null;
  if (!member || member.disabled || (member.slackTeamId !== null && member.slackTeamId !== slackTeam)) {
    // The tenant is not named: a Slack user outside it learns nothing about whose approval this is.
    return ephemeral(
      `Your Slack account (${slackUser || "unknown"}) is not linked to a member of the tenant this approval belongs to, so your click was not counted. Ask an admin of that tenant to link it (PUT /admin/rbac/{tenant}/users/{user} with "slack_user_id").`,
    );
  }
  const user = { id: member.userId };
  const decision = action.action_id === "approve" ? "approved" : "rejected";
  try {
    const r = await deps.decide({ id: approvalId, tenant, approver: user.id, decision });
    if (deps.replaceOriginal && payload.response_url) await deps.replaceOriginal(payload.response_url, approvalId).catch(() => {});
    const progress = r.status === "pending" ? ` (${r.approvals} of ${r.required_approvals} approvals so far)` : ` — the request is now ${r.status}`;
    return ephemeral(`You ${decision} ${approvalId} as ${user.id}${progress}.`);
  } catch (err) {
    if (isAppError(err)) return ephemeral(`Your click was not counted: ${err.message}.`);
    throw err;
  }
}

/** The direct message carrying one approver's personal code (seed 004's two-phase approval). */
export function personalCodeMessage(a: ApprovalView, approver: string, code: string) {
  const text = `Your approval code for ${a.id} (${a.tool} by ${a.subject}) is ${code}. Giving it to the requester (POST /approvals/complete {"dry_run_id":"${a.id}","approval_code":"${code}"}) counts as your approval (${approver}), once, until ${a.expires_at}.`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: `Your approval code for \`${a.id}\` (\`${a.tool}\` by ${a.subject}): *\`${code}\`*\nGiven to the requester, it counts as *your* approval (${approver}), once, until ${a.expires_at}. Do not share it otherwise.` } }] };
}
