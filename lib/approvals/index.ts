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
export type { ApprovalService, ApprovalServiceDeps, NewApproval, DecideInput, ConsumeInput, ConsumeResult, WaitResult, ApprovalNotifier, ApprovalDecisionLike, SlackMessageRef } from "./service";
export { ApprovalEvents, type ApprovalEvent, type ApprovalEventListener } from "./events";
export * from "./state-machine";
export * from "./schemas";
export { isoSeconds, signDecision, verifyDecision, signatureMessage } from "./signature";
export { verifySlackSignature, checkSlackHeaders, signSlackRequest, approvalMessage, personalCodeMessage, SLACK_TOLERANCE_SECONDS, type SlackVerifyFailure } from "./slack";
