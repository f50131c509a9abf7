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
import { auditPageSchema, auditSearchQuerySchema, auditWriteSchema, checkpointsQuerySchema, verifyQuerySchema, verifyResultSchema } from "@/lib/audit/schemas";
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
import type { Operation } from "./registry";

const protectedResourceMetadata = z.object({
  resource: z.string(),
  authorization_servers: z.array(z.string()).optional(),
  bearer_methods_supported: z.array(z.literal("header")),
  resource_name: z.string(),
  resource_documentation: z.string(),
});

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  checks: z.record(z.string(), z.object({ ok: z.boolean() }).loose()),
});

/** Every API operation. Each capability adds its own here, with the zod schemas its handlers use. */
export const operations: Operation[] = [
  { method: "get", path: "/api/health", summary: "Health of database, migrations, Redis and the active policy", tag: "system", permission: null, aliases: ["/health"], response: health },
  {
    method: "get", path: "/.well-known/oauth-protected-resource", summary: "OAuth protected resource metadata of /mcp (RFC 9728), what a 401 from /mcp points at in WWW-Authenticate: the resource, the authorization servers of MCP_AUTHORIZATION_SERVERS, bearer in the header. Also served suffixed with the MCP path (/.well-known/oauth-protected-resource/mcp, …/api/mcp), naming that path as the resource", tag: "gateway",
    permission: null, aliases: ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource/api/mcp"], response: protectedResourceMetadata,
  },
  { method: "get", path: "/api/metrics", summary: "Prometheus metrics: a platform admin sees every series, anyone else the process-wide ones and its own tenant's", tag: "system", permission: "metrics.read", aliases: ["/metrics"], responseContentType: "text/plain" },
  {
    method: "post", path: "/api/v1/policy/validate", summary: "Validate policy YAML; errors carry line and column", tag: "policy",
    permission: "policies.read", aliases: ["/v1/policy/validate"], body: z.string(), bodyContentType: "text/yaml", response: validateResponseSchema,
  },
  {
    method: "post", path: "/api/v1/policy/simulate", summary: "Decide a what-if call with the full trace, against the tenant's active policy or an inline `policy` (an inline policy also needs `policies.write`: policy authors and admins)", tag: "policy",
    permission: "policies.simulate", aliases: ["/v1/policy/simulate"], body: simulateRequestSchema, response: simulateResponseSchema,
  },
  {
    method: "post", path: "/api/v1/policy/simulate/batch", summary: "Decide up to 500 what-if calls against one policy in one request (the studio's live simulation): an inline `policy` (needs `policies.write`; compiled once per SHA-256 of its bytes and cached) or the tenant's active one; answers in the order of `calls`", tag: "policy",
    permission: "policies.simulate", aliases: ["/v1/policy/simulate/batch"], body: simulateBatchRequestSchema, response: simulateBatchResponseSchema,
  },
  {
    method: "get", path: "/api/v1/policy/validate", summary: "Validate the tenant's active policy (seed 004)", tag: "policy",
    permission: "policies.read", aliases: ["/policy/validate"], response: validateResponseSchema,
  },
  { method: "get", path: "/api/v1/policy", summary: "The tenant's active policy: version, signature state, YAML", tag: "policy", permission: "policies.read", aliases: ["/policy"] },
  {
    method: "post", path: "/api/v1/policy/migrate", summary: "AegisMCP v1/v2 or TailOps policy → canonical YAML", tag: "policy",
    permission: "policies.read", aliases: ["/policy/migrate"], body: z.string(), bodyContentType: "text/yaml",
  },
  {
    method: "post", path: "/api/v1/policy/diff", summary: "Proposed policy (YAML, or a stored `version`) vs the tenant's active one (or the stored version `against`): headline, risk, rule changes, decision changes replayed over recent recorded calls; stored versions are the caller's tenant's own or platform versions (any other id: 404)", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/diff"], body: diffRequestSchema, bodyContentType: "multipart/form-data", response: diffResponseSchema,
  },
  {
    method: "post", path: "/api/v1/policy/apply", summary: "Store (or reuse) a policy version and roll it out: all, canary_percent or explicit (pins); signature required when signing is configured. Versions belong to the platform (rollouts reaching other tenants) or to one tenant (a pin of its own tenant); without YAML or `version`, the newest version of that scope is applied and `why` says so", tag: "policy",
    permission: "policies.apply", aliases: ["/v1/policy/apply"], body: applyRequestSchema, bodyContentType: "multipart/form-data", response: applyResponseSchema,
  },
  {
    method: "get", path: "/api/v1/policy/versions", summary: "Policy versions the caller's tenant may use (its own and platform ones), newest first: scope, signature state, and the caller's tenant's rollouts and pins; platform admins see every version and every tenant's facts", tag: "policy",
    permission: "policies.read", aliases: ["/v1/policy/versions"], query: versionsQuerySchema, response: versionsResponseSchema,
  },
  {
    method: "post", path: "/api/v1/policy/promote", summary: "Complete a canary: the version of the newest canary in progress (or the canary of `version`) goes to every tenant without a pin (strategy all); audited; platform tenant's policy authors only", tag: "policy",
    permission: "policies.apply", aliases: ["/v1/policy/promote"], body: promoteRequestSchema, response: promoteResponseSchema,
  },
  {
    method: "get", path: "/api/v1/policy/versions/{id}/yaml", summary: "A stored version's YAML as text/yaml, byte for byte as signed; X-Policy-Hash carries its SHA-256 (the caller's own or a platform version; any other id: 404)", tag: "policy",
    permission: "policies.read", aliases: ["/v1/policy/versions/{id}/yaml"], responseContentType: "text/yaml",
  },
  {
    method: "get", path: "/api/v1/policy/test-cases", summary: "The tenant's policy test cases (named call, optional tenant/subject/roles/target role/time, expected decision and rule)", tag: "policy",
    permission: "policies.read", aliases: ["/v1/policy/test-cases"], query: testCaseListQuerySchema, response: testCaseListSchema,
  },
  {
    method: "post", path: "/api/v1/policy/test-cases", summary: "Add a test case (scope tenant gates the tenant's own pins; scope platform, platform tenant only, gates platform rollouts); audited", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/test-cases"], body: testCaseBodySchema, response: testCaseViewSchema,
  },
  {
    method: "put", path: "/api/v1/policy/test-cases/{id}", summary: "Replace a test case of the tenant; audited", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/test-cases/{id}"], body: testCaseBodySchema, response: testCaseViewSchema,
  },
  {
    method: "delete", path: "/api/v1/policy/test-cases/{id}", summary: "Delete a test case of the tenant; audited", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/test-cases/{id}"],
  },
  {
    method: "post", path: "/api/v1/policy/sign", summary: "Sign a policy's exact bytes (BOM stripped) with the server-held key (POLICY_SIGNING_PRIVATE_KEY_B64), on behalf of the caller; needs policies.sign (role policy_signer, which no one has by default); audited. 404 no_server_key when none is configured", tag: "policy",
    permission: "policies.sign", aliases: ["/v1/policy/sign"], body: signRequestSchema, response: signResponseSchema,
  },
  {
    method: "get", path: "/api/v1/policy/draft", summary: "The caller's own policy draft in its tenant (404 when none)", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/draft"], response: draftViewSchema,
  },
  {
    method: "put", path: "/api/v1/policy/draft", summary: "Save the caller's policy draft (the studio saves as the author types)", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/draft"], body: draftBodySchema, response: draftViewSchema,
  },
  {
    method: "delete", path: "/api/v1/policy/draft", summary: "Drop the caller's policy draft", tag: "policy",
    permission: "policies.write", aliases: ["/v1/policy/draft"],
  },
  {
    method: "post", path: "/api/v1/policy/rollback", summary: "Roll back to a version (default: the one the caller's tenant ran before; a pinned tenant drops its pin)", tag: "policy",
    permission: "policies.apply", aliases: ["/v1/policy/rollback"], body: rollbackRequestSchema, response: rollbackResponseSchema,
  },
  {
    method: "post", path: "/api/mcp", summary: "MCP Streamable HTTP (JSON-RPC 2.0): initialize, ping, tools/list, tools/call — every call enforced. Past DATA_PLANE_MAX_IN_FLIGHT requests in flight the gateway refuses at once: 503 with Retry-After and a JSON-RPC error whose data.code is `overloaded` (nothing was run)", tag: "gateway",
    permission: "mcp.call", aliases: ["/mcp"], body: z.object({ jsonrpc: z.literal("2.0"), id: z.union([z.string(), z.number()]).optional(), method: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
  },
  {
    method: "post", path: "/api/v1/guard/check", summary: "Decision with trace for a call; nothing recorded or run (seed 004)", tag: "gateway",
    permission: "guard.check", aliases: ["/guard/check", "/v1/guard/check"], body: guardRequestSchema, response: verdictSchema,
  },
  {
    method: "post", path: "/api/v1/guard/enforce", summary: "Decision, rate limits, audit record and approval hand-off; not forwarded (seed 004)", tag: "gateway",
    permission: "guard.enforce", aliases: ["/guard/enforce", "/v1/guard/enforce"], body: guardRequestSchema, response: verdictSchema,
  },
  {
    method: "post", path: "/api/approvals/create", summary: "Create an approval for an exact call (seed 000 body)", tag: "approvals",
    permission: "approvals.request", aliases: ["/approvals/create"], body: createApprovalBodySchema, response: approvalViewSchema,
  },
  {
    method: "post", path: "/api/approvals/slack/callback", summary: "Slack interactivity (authenticated by Slack's request signature, not a token)", tag: "approvals",
    permission: null, aliases: ["/approvals/slack/callback"], bodyContentType: "application/x-www-form-urlencoded", body: z.object({ payload: z.string() }),
  },
  {
    method: "post", path: "/api/v1/approvals", summary: "Request an approval (seed 003)", tag: "approvals",
    permission: "approvals.request", aliases: ["/v1/approvals"], body: requestApprovalBodySchema, response: approvalViewSchema,
  },
  { method: "get", path: "/api/v1/approvals", summary: "List approvals (?status=&tenant=); also GET /approvals with a bearer token or Accept: application/json (seed 004)", tag: "approvals", permission: "approvals.read", aliases: ["/v1/approvals", "/approvals"], query: listQuerySchema, response: approvalListSchema },
  { method: "get", path: "/api/v1/approvals/{id}", summary: "One approval with votes, remaining approvals and expiry", tag: "approvals", permission: "approvals.read", response: approvalViewSchema },
  {
    method: "post", path: "/api/v1/approvals/{id}/approve", summary: "Approve or reject with an HMAC-signed decision (seed 003)", tag: "approvals",
    permission: "approvals.decide", body: decideBodySchema, response: decisionResultSchema,
  },
  {
    method: "post", path: "/api/v1/approvals/{id}/code", summary: "Reveal your personal one-time approval code for a pending approval (eligible approvers only; audited); completing with it counts as your vote", tag: "approvals",
    permission: "approvals.decide", aliases: ["/v1/approvals/{id}/code"], response: revealedCodeSchema,
  },
  {
    method: "get", path: "/api/v1/approvals/{id}/wait", summary: "Long poll (seed 000 wait_for_resolution): answers when the approval leaves pending, or after ?timeout= seconds (at most 60)", tag: "approvals",
    permission: "approvals.read", aliases: ["/v1/approvals/{id}/wait"], query: waitQuerySchema, response: waitResultSchema,
  },
  {
    method: "post", path: "/api/approvals/complete", summary: "Complete an approval with an approver's personal code (seed 004 two-phase): counts as that approver's vote, once; failures throttled and audited", tag: "approvals",
    permission: "approvals.request", aliases: ["/approvals/complete"], body: completeBodySchema, response: completeResultSchema,
  },
  { method: "post", path: "/api/v1/approvals/{id}/verify", summary: "Verify a decision signature (seed 003)", tag: "approvals", permission: "approvals.read", body: verifyBodySchema },
  {
    method: "put", path: "/api/admin/rbac/{tenant}/users/{user}", summary: "Set a user's roles, approver groups and Slack link in a tenant (membership only; email and name only by the user or a platform admin)", tag: "admin",
    permission: "rbac.manage", aliases: ["/admin/rbac/{tenant}/users/{user}"], body: memberPutBodySchema, response: memberViewSchema,
  },
  { method: "get", path: "/api/admin/rbac/{tenant}/users/{user}", summary: "A user's roles, groups and Slack link in a tenant (email and name only for the user themself and platform admins)", tag: "admin", permission: "rbac.read", response: memberViewSchema },
  {
    method: "delete", path: "/api/admin/rbac/{tenant}/users/{user}", summary: "Remove a member from the tenant (the user and their other tenants stay); the tenant's last admin cannot be removed (409 last_admin); audited", tag: "admin",
    permission: "rbac.manage", aliases: ["/admin/rbac/{tenant}/users/{user}"], response: memberDeleteResultSchema,
  },
  {
    method: "get", path: "/api/admin/rbac/{tenant}/users", summary: "The tenant's members (roles, approver groups, Slack link, how they sign in) and its open invitations", tag: "admin",
    permission: "rbac.read", aliases: ["/admin/rbac/{tenant}/users"], query: memberListQuerySchema, response: memberListSchema,
  },
  {
    method: "post", path: "/api/admin/rbac/{tenant}/invitations", summary: "Add a member by email (201): the membership now, and a one-time link (expiring after CANOPY_INVITATION_TTL_SECONDS) that lets the person set a password, returned this once since no mail server is configured; null when they already have a login", tag: "admin",
    permission: "rbac.manage", aliases: ["/admin/rbac/{tenant}/invitations"], body: inviteBodySchema, response: inviteResultSchema,
  },
  {
    method: "post", path: "/api/invitations/accept", summary: "Set the invited person's password with the invitation link's secret (public: the secret is the credential); once, before it expires (410 afterwards)", tag: "admin",
    permission: null, body: acceptInvitationBodySchema, response: acceptInvitationResultSchema,
  },
  { method: "get", path: "/api/account", summary: "The signed-in person's own account: email, name, sign-in methods, tenants and roles (console sessions only; a bearer token is 403)", tag: "account", permission: "account.self", response: accountViewSchema },
  {
    method: "put", path: "/api/account", summary: "Change one's own name and/or password (current_password required for new_password); console sessions only; audited in each of the person's tenants", tag: "account",
    permission: "account.self", body: accountPutBodySchema, response: accountViewSchema,
  },
  {
    method: "post", path: "/api/admin/tenants", summary: "Create a tenant (platform admins: role admin in CANOPY_PLATFORM_TENANT); audited", tag: "admin",
    permission: "tenants.manage", aliases: ["/admin/tenants"], body: createTenantBodySchema, response: tenantViewSchema,
  },
  { method: "get", path: "/api/admin/tenants", summary: "Tenants: all of them for platform admins, the caller's own otherwise", tag: "admin", permission: "tenants.read", aliases: ["/admin/tenants"], response: tenantListSchema },
  {
    method: "patch", path: "/api/admin/tenants", summary: "Suspend or resume a tenant (its tokens and sessions are refused while suspended; nothing is deleted: the audit chain is immutable), or rename it; platform admins; audited", tag: "admin",
    permission: "tenants.manage", aliases: ["/admin/tenants"], body: patchTenantBodySchema, response: tenantViewSchema,
  },
  {
    method: "get", path: "/api/admin/tenants/{tenant}/activity", summary: "Calls per minute (last `minutes`) and spend per UTC day vs the daily budget (last `days`), aggregated by Postgres in time buckets", tag: "admin",
    permission: "quotas.read", aliases: ["/admin/tenants/{tenant}/activity"], query: tenantActivityQuerySchema, response: tenantActivitySchema,
  },
  {
    method: "put", path: "/api/admin/tenants/{tenant}/quotas", summary: "Rate limits, concurrency, daily and monthly budgets (tenant-wide and per tool)", tag: "admin",
    permission: "quotas.manage", aliases: ["/admin/tenants/{tenant}/quotas"], body: QuotaConfigBodySchema,
  },
  { method: "get", path: "/api/admin/tenants/{tenant}/quotas", summary: "The tenant's quota configuration and its usage (requests, USD spent) in the current UTC day and month", tag: "admin", permission: "quotas.read" },
  {
    method: "post", path: "/api/admin/tokens", summary: "Mint an API token for the caller's tenant (201; the token is shown this once): known roles only, none the caller lacks unless admin, ttl_seconds at most CANOPY_TOKEN_MAX_TTL_SECONDS; audited", tag: "admin",
    permission: "tokens.manage", aliases: ["/admin/tokens"], body: mintTokenBodySchema, response: mintedTokenSchema,
  },
  {
    method: "get", path: "/api/admin/tokens", summary: "The caller's tenant's API tokens, newest first (subject, roles, name, created, expires, last used, revoked; never the token)", tag: "admin",
    permission: "tokens.manage", aliases: ["/admin/tokens"], query: tokenListQuerySchema, response: tokenListSchema,
  },
  {
    method: "delete", path: "/api/admin/tokens/{id}", summary: "Revoke a token of the caller's tenant: 401 from its very next use on every replica; another tenant's id is 404; audited (token_change)", tag: "admin",
    permission: "tokens.manage", aliases: ["/admin/tokens/{id}"], response: revokedTokenSchema,
  },
  {
    method: "get", path: "/api/admin/upstreams", summary: "Upstream MCP servers the caller's tenant can use: upstreams.yaml (read-only) and the database (admin-managed), with live connection status", tag: "admin",
    permission: "upstreams.manage", aliases: ["/admin/upstreams"], query: UpstreamQuerySchema, response: UpstreamListSchema,
  },
  {
    method: "put", path: "/api/admin/upstreams/{name}", summary: "Create (201) or replace the tenant's Streamable HTTP upstream; stdio is refused (it belongs in upstreams.yaml); header secrets as ${UPSTREAM_*} references; audited (503 and nothing changed when the audit log is down)", tag: "admin",
    permission: "upstreams.manage", aliases: ["/admin/upstreams/{name}"], query: UpstreamQuerySchema, body: UpstreamPutBodySchema, response: UpstreamPutResponseSchema,
  },
  {
    method: "delete", path: "/api/admin/upstreams/{name}", summary: "Delete the tenant's upstream and close its connection; file upstreams are read-only (409); audited", tag: "admin",
    permission: "upstreams.manage", aliases: ["/admin/upstreams/{name}"], query: UpstreamQuerySchema, response: UpstreamDeleteResponseSchema,
  },
  { method: "get", path: "/api/v1/audit", summary: "Search the audit log (filters, keyset pagination)", tag: "audit", permission: "audit.read", aliases: ["/v1/audit"], query: auditSearchQuerySchema, response: auditPageSchema },
  { method: "post", path: "/api/v1/audit", summary: "Append an agent note (AegisMCP audit_write)", tag: "audit", permission: "audit.write", aliases: ["/audit (JSON body)"], body: auditWriteSchema },
  { method: "get", path: "/api/v1/audit/verify", summary: "Recompute every hash and link and check checkpoints", tag: "audit", permission: "audit.read", query: verifyQuerySchema, response: verifyResultSchema },
  { method: "get", path: "/api/v1/audit/export", summary: "Stream the log as JSONL (records and signed checkpoints) for offline verification", tag: "audit", permission: "audit.export", query: auditSearchQuerySchema, responseContentType: "application/x-ndjson" },
  { method: "get", path: "/api/v1/audit/checkpoints", summary: "Signed checkpoints of the tenant's chain", tag: "audit", permission: "audit.read", query: checkpointsQuerySchema },
  { method: "get", path: "/api/openapi.json", summary: "This document", tag: "system", permission: null },
];
