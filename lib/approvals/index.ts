import type { PrismaClient } from "@/lib/db";
import { findApproval } from "@/lib/db/approvals";
import { findMemberBySlackId } from "@/lib/db/users";
import { type Env, publicUrl } from "@/lib/env";
import { readBodyText } from "@/lib/http/body";
import type { ApprovalNotifier, ApprovalService } from "./service";
import { handleSlackInteraction, parseChannelMap, slackNotifier } from "./slack";

/**
 * Approvals: N-of-M dual control with deny precedence, durable in Postgres, woken through Redis.
 *
 * For the gateway (the composition root builds the service: `await services().approvals()`):
 *   const { approval } = await service.createFromPolicyDecision({ tenant, subject, tool, args, decision, policyVersion, traceId });
 *   const r = await service.waitForResolution(approval.id, env.APPROVAL_SYNC_WAIT_MS);
 *   const c = await service.consume({ id, tenant, subject, tool, argsDigest: digest(args), gate });  // once, under the invariant
 */
export { createApprovalService, normalizeApprovalId, toView, refusalError, DEFAULT_EXPIRY_SECONDS, TTL_INDEX_KEY, TTL_INDEX_MARKER } from "./service";
export { approvalCode, normalizeCode, LEGACY_CODE_APPROVER } from "./codes";
export type { ApprovalService, ApprovalServiceDeps, NewApproval, DecideInput, ConsumeInput, ConsumeResult, WaitResult, ApprovalNotifier, ApprovalDecisionLike } from "./service";
export { ApprovalEvents, type ApprovalEvent, type ApprovalEventListener } from "./events";
export * from "./state-machine";
export * from "./schemas";
export { isoSeconds, signDecision, verifyDecision, signatureMessage } from "./signature";
export { verifySlackSignature, checkSlackHeaders, signSlackRequest, approvalMessage, slackNotifier } from "./slack";

/** The Slack notifier the environment configures, or null without a bot token or webhook. */
export function slackNotifierFromEnv(e: Env): ApprovalNotifier | null {
  return e.SLACK_BOT_TOKEN || e.SLACK_WEBHOOK_URL
    ? slackNotifier({
        botToken: e.SLACK_BOT_TOKEN,
        webhookUrl: e.SLACK_WEBHOOK_URL,
        apiBaseUrl: e.SLACK_API_BASE_URL,
        defaultChannel: e.SLACK_APPROVAL_CHANNEL,
        channels: parseChannelMap(e.SLACK_APPROVAL_CHANNELS),
        consoleUrl: publicUrl(),
      })
    : null;
}

/** The Slack interactivity callback, on the given service and database. */
export async function slackCallback(req: Request, deps: { env: Env; service: ApprovalService; prisma: PrismaClient; nowSeconds: number }) {
  const { service, prisma } = deps;
  // Read only once the signature headers and timestamp pass, and at most BODY_LIMIT_SLACK_BYTES.
  return handleSlackInteraction(() => readBodyText(req, "slack"), req.headers, {
    signingSecret: deps.env.SLACK_SIGNING_SECRET,
    nowSeconds: deps.nowSeconds,
    approvalTenant: async (id) => (await findApproval(prisma, id))?.tenantId ?? null,
    findMemberBySlackId: async (tenant, slackUserId) => {
      const m = await findMemberBySlackId(prisma, tenant, slackUserId);
      return m ? { userId: m.userId, slackTeamId: m.slackTeamId, disabled: m.user.disabled } : null;
    },
    decide: (d) => service.decide({ ...d, via: "slack", requireSignature: false }),
  });
}
