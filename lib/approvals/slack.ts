import { hmacSha256Hex, hmacVerifyHex } from "@/lib/signing/hmac";
import type { ApprovalView } from "./schemas";

/** Slack (seed 000): Block Kit approval messages and Slack's request signing; the app itself is lib/slack. */

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

/** The direct message carrying one approver's personal code (seed 004's two-phase approval). */
export function personalCodeMessage(a: ApprovalView, approver: string, code: string) {
  const text = `Your approval code for ${a.id} (${a.tool} by ${a.subject}) is ${code}. Giving it to the requester (POST /approvals/complete {"dry_run_id":"${a.id}","approval_code":"${code}"}) counts as your approval (${approver}), once, until ${a.expires_at}.`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: `Your approval code for \`${a.id}\` (\`${a.tool}\` by ${a.subject}): *\`${code}\`*\nGiven to the requester, it counts as *your* approval (${approver}), once, until ${a.expires_at}. Do not share it otherwise.` } }] };
}
