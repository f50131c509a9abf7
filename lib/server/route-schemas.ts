import { z } from "zod";
import {
  approvalListSchema,
  approvalViewSchema,
  completeBodySchema,
  completeResultSchema,
  createApprovalBodySchema,
  decideBodySchema,
  decisionResultSchema,
  listQuerySchema,
  requestApprovalBodySchema,
  revealedCodeSchema,
  verifyBodySchema,
  waitQuerySchema,
  waitResultSchema,
} from "@/lib/approvals/schemas";
import { dashboardQuerySchema, dashboardSchema } from "@/lib/dashboard/schemas";
import { auditFilterSchema, auditPageSchema, auditSearchQuerySchema, auditWriteSchema, checkpointsQuerySchema, verifyQuerySchema, verifyResultSchema } from "@/lib/audit/schemas";
import {
  acceptInvitationBodySchema,
  acceptInvitationResultSchema,
  createTenantBodySchema,
  inviteBodySchema,
  inviteResultSchema,
  memberDeleteResultSchema,
  memberListQuerySchema,
  memberListSchema,
  memberPutBodySchema,
  memberViewSchema,
  patchTenantBodySchema,
  tenantActivityQuerySchema,
  tenantActivitySchema,
  tenantListSchema,
  tenantViewSchema,
} from "@/lib/access/schemas";
import { accountPutBodySchema, accountViewSchema } from "@/lib/access/account-schemas";
import { mintedTokenSchema, mintTokenBodySchema, revokedTokenSchema, tokenListQuerySchema, tokenListSchema } from "@/lib/access/token-schemas";
import { guardRequestSchema, verdictSchema } from "@/lib/enforce/schemas";
import { protectedResourceMetadataSchema } from "@/lib/mcp/protected-resource-schema";
import {
  applyRequestSchema,
  applyResponseSchema,
  diffRequestSchema,
  diffResponseSchema,
  rollbackRequestSchema,
  rollbackResponseSchema,
  simulateBatchRequestSchema,
  simulateBatchResponseSchema,
  simulateRequestSchema,
  simulateResponseSchema,
  validateResponseSchema,
  versionsQuerySchema,
  versionsResponseSchema,
  promoteRequestSchema,
  promoteResponseSchema,
  draftBodySchema,
  draftViewSchema,
  signRequestSchema,
  signResponseSchema,
} from "@/lib/policy-store/schemas";
import { testCaseBodySchema, testCaseListQuerySchema, testCaseListSchema, testCaseViewSchema } from "@/lib/policy-store/test-case-schemas";
import {
  UpstreamDeleteResponseSchema,
  UpstreamListSchema,
  UpstreamPutBodySchema,
  UpstreamPutResponseSchema,
  UpstreamQuerySchema,
} from "@/lib/mcp/upstreams/admin-schemas";
import { QuotaConfigBodySchema } from "@/lib/quota/limits";
import { ConnectivitySchema, TargetListQuerySchema, TargetListSchema, TargetViewSchema } from "@/lib/ops/admin-schemas";
import { ActivateEmergencySchema, EmergencyStatusSchema, EmergencyViewSchema, EndEmergencySchema } from "@/lib/ops/emergency-schemas";
import { TargetCreateBodySchema, TargetUpdateBodySchema } from "@/lib/ops/targets";
import type { BodyKind } from "@/lib/http/body";
import { strictRequestSchemas } from "@/lib/http/request-schemas";
import type { RouteId } from "@/lib/http/route-table";

/**
 * The zod schemas of every route of the route table (lib/http/route-table.ts), by the same ids: the
 * handlers parse with them (ctx.body()/ctx.query()) and the OpenAPI document is generated from them.
 */
export interface RouteSchemas {
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  /** How ctx.body() reads the body: JSON (default), the policy routes' fields (multipart, JSON, form or YAML), or policy text. */
  read?: "json" | "fields" | "policyText";
  /** The body limit (default: JSON API bodies). */
  limit?: BodyKind;
}

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean() }).loose()),
});

const declared = {
  "system.health": { response: health },
  "system.metrics": {},
  "policy.validate": { read: "policyText", body: z.string(), response: validateResponseSchema },
  "policy.simulate": { limit: "policy", body: simulateRequestSchema, response: simulateResponseSchema },
  "policy.simulateBatch": { limit: "policy", body: simulateBatchRequestSchema, response: simulateBatchResponseSchema },
  "policy.validateActive": { response: validateResponseSchema },
  "policy.active": {},
  "policy.migrate": { read: "policyText", body: z.string() },
  "policy.diff": { read: "fields", body: diffRequestSchema, response: diffResponseSchema },
  "policy.apply": { read: "fields", body: applyRequestSchema, response: applyResponseSchema },
  "policy.versions": { query: versionsQuerySchema, response: versionsResponseSchema },
  "policy.promote": { read: "fields", body: promoteRequestSchema, response: promoteResponseSchema },
  "policy.versionYaml": {},
  "policy.testCases.list": { query: testCaseListQuerySchema, response: testCaseListSchema },
  "policy.testCases.create": { body: testCaseBodySchema, response: testCaseViewSchema },
  "policy.testCases.update": { body: testCaseBodySchema, response: testCaseViewSchema },
  "policy.testCases.delete": {},
  "policy.sign": { limit: "policy", body: signRequestSchema, response: signResponseSchema },
  "policy.draft.get": { response: draftViewSchema },
  "policy.draft.save": { limit: "policy", body: draftBodySchema, response: draftViewSchema },
  "policy.draft.delete": {},
  "policy.rollback": { read: "fields", body: rollbackRequestSchema, response: rollbackResponseSchema },
  "gateway.mcp": { body: z.looseObject({ jsonrpc: z.literal("2.0"), id: z.union([z.string(), z.number()]).optional(), method: z.string(), params: z.record(z.string(), z.unknown()).optional() }) },
  "gateway.mcpStream": {},
  "gateway.mcpEnd": {},
  "gateway.protectedResource": { response: protectedResourceMetadataSchema },
  "gateway.check": { body: guardRequestSchema, response: verdictSchema },
  "gateway.enforce": { body: guardRequestSchema, response: verdictSchema },
  "approvals.create": { body: createApprovalBodySchema, response: approvalViewSchema },
  "approvals.slackCallback": { body: z.object({ payload: z.string() }) },
  "approvals.slackEvents": { body: z.looseObject({ type: z.enum(["url_verification", "event_callback"]), challenge: z.string().optional(), event: z.looseObject({ type: z.string() }).optional() }) },
  "approvals.request": { body: requestApprovalBodySchema, response: approvalViewSchema },
  "approvals.list": { query: listQuerySchema, response: approvalListSchema },
  "approvals.get": { response: approvalViewSchema },
  "approvals.decide": { body: decideBodySchema, response: decisionResultSchema },
  "approvals.revealCode": { response: revealedCodeSchema },
  "approvals.wait": { query: waitQuerySchema, response: waitResultSchema },
  "approvals.complete": { body: completeBodySchema, response: completeResultSchema },
  "approvals.verify": { body: verifyBodySchema },
  "access.members.put": { body: memberPutBodySchema, response: memberViewSchema },
  "access.members.get": { response: memberViewSchema },
  "access.members.remove": { response: memberDeleteResultSchema },
  "access.members.list": { query: memberListQuerySchema, response: memberListSchema },
  "access.invitations.create": { body: inviteBodySchema, response: inviteResultSchema },
  "access.invitations.accept": { body: acceptInvitationBodySchema, response: acceptInvitationResultSchema },
  "account.get": { response: accountViewSchema },
  "account.update": { body: accountPutBodySchema, response: accountViewSchema },
  "tenants.create": { body: createTenantBodySchema, response: tenantViewSchema },
  "tenants.list": { response: tenantListSchema },
  "tenants.patch": { body: patchTenantBodySchema, response: tenantViewSchema },
  "tenants.activity": { query: tenantActivityQuerySchema, response: tenantActivitySchema },
  "quotas.put": { body: QuotaConfigBodySchema },
  "quotas.get": {},
  "tokens.mint": { body: mintTokenBodySchema, response: mintedTokenSchema },
  "tokens.list": { query: tokenListQuerySchema, response: tokenListSchema },
  "tokens.revoke": { response: revokedTokenSchema },
  "upstreams.list": { query: UpstreamQuerySchema, response: UpstreamListSchema },
  "upstreams.put": { query: UpstreamQuerySchema, body: UpstreamPutBodySchema, response: UpstreamPutResponseSchema },
  "upstreams.delete": { query: UpstreamQuerySchema, response: UpstreamDeleteResponseSchema },
  "audit.search": { query: auditSearchQuerySchema, response: auditPageSchema },
  "audit.note": { body: auditWriteSchema },
  "audit.verify": { query: verifyQuerySchema, response: verifyResultSchema },
  "audit.export": { query: auditFilterSchema },
  "audit.checkpoints": { query: checkpointsQuerySchema },
  "ops.targets.list": { query: TargetListQuerySchema, response: TargetListSchema },
  "ops.targets.create": { body: TargetCreateBodySchema, response: TargetViewSchema },
  "ops.targets.get": { response: TargetViewSchema },
  "ops.targets.update": { body: TargetUpdateBodySchema, response: TargetViewSchema },
  "ops.targets.delete": { response: z.object({ deleted: z.string() }) },
  "ops.targets.test": { response: ConnectivitySchema },
  "ops.emergency.status": { response: EmergencyStatusSchema },
  "ops.emergency.activate": { body: ActivateEmergencySchema, response: EmergencyViewSchema },
  "ops.emergency.end": { query: EndEmergencySchema, response: EmergencyViewSchema },
  "dashboard.get": { query: dashboardQuerySchema, response: dashboardSchema },
  "system.openapi": {},
} satisfies Record<RouteId, RouteSchemas>;

/** As declared, bodies and queries under the one rule for unknown fields (lib/http/request-schemas.ts). */
export const routeSchemas = strictRequestSchemas(declared);
