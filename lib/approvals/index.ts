import { redactionSettings } from "@/lib/audit";
import { getDb } from "@/lib/db";
import { findApproval } from "@/lib/db/approvals";
import { findMemberBySlackId } from "@/lib/db/users";
import { env, publicUrl } from "@/lib/env";
import { readBodyText } from "@/lib/http/body";
import { log } from "@/lib/log";
import { getKv } from "@/lib/redis";
import { getSecrets } from "@/lib/secrets";
import { type ApprovalService, createApprovalService } from "./service";
import { handleSlackInteraction, parseChannelMap, slackNotifier } from "./slack";

/**
 * Approvals: N-of-M dual control with deny precedence, durable in Postgres, woken through Redis.
 *
 * For the gateway:
 *   const { approval } = await (await approvals()).createFromPolicyDecision({ tenant, subject, tool, args, decision, policyVersion, traceId });
 *   const r = await (await approvals()).waitForResolution(approval.id, env().APPROVAL_SYNC_WAIT_MS);
 *   const c = await (await approvals()).consume({ id, tenant, subject, tool, argsDigest: digest(args), gate });  // once, under the invariant
 */
export { createApprovalService, normalizeApprovalId, toView, refusalError, DEFAULT_EXPIRY_SECONDS, TTL_INDEX_KEY, TTL_INDEX_MARKER } from "./service";
export { approvalCode, normalizeCode, LEGACY_CODE_APPROVER } from "./codes";
export type { ApprovalService, ApprovalServiceDeps, NewApproval, DecideInput, ConsumeInput, ConsumeResult, WaitResult, ApprovalNotifier, ApprovalDecisionLike } from "./service";
export { onApprovalEvent, type ApprovalEvent, type ApprovalEventListener } from "./events";
export * from "./state-machine";
export * from "./schemas";
export { isoSeconds, signDecision, verifyDecision, signatureMessage } from "./signature";
export { verifySlackSignature, checkSlackHeaders, signSlackRequest, approvalMessage, slackNotifier } from "./slack";

const g = globalThis as { __canopyApprovals?: Promise<ApprovalService>; __canopyApprovalSweeper?: () => void };

/** The process's approval service (Postgres + the process KvStore + Slack from the environment), with its sweeper running. */
export function approvals(): Promise<ApprovalService> {
  g.__canopyApprovals ??= (async () => {
    const e = env();
    const { prisma } = await getDb();
    const notifier =
      e.SLACK_BOT_TOKEN || e.SLACK_WEBHOOK_URL
        ? slackNotifier({
            botToken: e.SLACK_BOT_TOKEN,
            webhookUrl: e.SLACK_WEBHOOK_URL,
            apiBaseUrl: e.SLACK_API_BASE_URL,
            defaultChannel: e.SLACK_APPROVAL_CHANNEL,
            channels: parseChannelMap(e.SLACK_APPROVAL_CHANNELS),
            consoleUrl: publicUrl(),
          })
        : null;
    const service = createApprovalService({
      prisma,
      kv: getKv(),
      hmacSecret: getSecrets().hmacSecret,
      redaction: redactionSettings(),
      notifier,
      log: log().child({ module: "approvals" }),
      legacyApprovalCode: e.APPROVAL_CODE_LEGACY ? (e.APPROVAL_CODE ?? null) : null,
      codeAttempts: { perApproval: e.APPROVAL_CODE_MAX_FAILURES_PER_APPROVAL, perCaller: e.APPROVAL_CODE_MAX_FAILURES_PER_CALLER, windowMs: e.APPROVAL_CODE_THROTTLE_WINDOW_SECONDS * 1000 },
    });
    g.__canopyApprovalSweeper ??= service.startSweeper(e.APPROVAL_SWEEP_INTERVAL_MS);
    return service;
  })().catch((err) => {
    g.__canopyApprovals = undefined;
    throw err;
  });
  return g.__canopyApprovals;
}

/** Starts the expiry sweeper at server start (instrumentation), so overdue approvals expire even before the first approvals request. */
export async function startApprovalSweeper(): Promise<void> {
  await approvals();
}

/** seed 000's wait_for_resolution(pid, timeout): returns as soon as the decision lands (pub/sub), or on timeout. */
export async function waitForResolution(id: string, timeoutMs: number, opts?: { onWaiting?: () => void }) {
  return (await approvals()).waitForResolution(id, timeoutMs, opts);
}

/** The Slack interactivity callback, wired to this process's service and database. */
export async function slackCallback(req: Request) {
  const e = env();
  const service = await approvals();
  const { prisma } = await getDb();
  // Read only once the signature headers and timestamp pass, and at most BODY_LIMIT_SLACK_BYTES.
  return handleSlackInteraction(() => readBodyText(req, "slack"), req.headers, {
    signingSecret: e.SLACK_SIGNING_SECRET,
    nowSeconds: Math.floor(Date.now() / 1000),
    approvalTenant: async (id) => (await findApproval(prisma, id))?.tenantId ?? null,
    findMemberBySlackId: async (tenant, slackUserId) => {
      const m = await findMemberBySlackId(prisma, tenant, slackUserId);
      return m ? { userId: m.userId, slackTeamId: m.slackTeamId, disabled: m.user.disabled } : null;
    },
    decide: (d) => service.decide({ ...d, via: "slack", requireSignature: false }),
  });
}
