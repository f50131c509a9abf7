import type { Permission } from "../auth/rbac";

/**
 * The one route table: every API operation's id, method, canonical path, RBAC permission (null:
 * public), aliases, tag and summary. `withAuth(id, …)`/`withErrors(id, …)` take their permission
 * from it, the OpenAPI document is generated from it (with the zod schemas of
 * lib/server/route-schemas.ts, keyed by the same ids), and next.config.ts generates its rewrites
 * from it. next.config.ts imports this file, so it imports nothing at run time.
 *
 * A new route: add its entry here and its schemas in lib/server/route-schemas.ts (the compiler
 * asks for it), then `export const POST = withAuth("x.y", handler)` in its app/api route file;
 * lib/server/routes.test.ts checks the file and the table agree.
 */

export type RouteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** An extra path for a route, served by a rewrite; `when` limits it to requests with that header. */
export interface RouteAlias {
  path: string;
  when?: { header: string; value: string };
}

export interface RouteSpec {
  method: RouteMethod;
  /** Canonical path; `{name}` is a dynamic segment (the route file's `[name]`). */
  path: string;
  /** null: public (no token); withErrors, not withAuth. */
  permission: Permission | null;
  tag: string;
  summary: string;
  aliases?: readonly RouteAlias[];
  bodyContentType?: string;
  responseContentType?: string;
}

/**
 * Seed documents' path prefixes, rewritten to the API wholesale (an unknown path under them still
 * gets the API's JSON 404). `exact`: the prefix itself too; `nonEmpty`: only paths below it.
 */
export const MOUNTS: readonly { from: string; to: string; exact?: boolean; nonEmpty?: boolean }[] = [
  { from: "/v1", to: "/api/v1" },
  // /approvals itself is the console's inbox page (see approvals.list's aliases).
  { from: "/approvals", to: "/api/approvals", nonEmpty: true },
  { from: "/admin", to: "/api/admin" },
  // AegisMCP's (seed 004) paths.
  { from: "/policy", to: "/api/v1/policy", exact: true },
  { from: "/guard", to: "/api/v1/guard" },
];

// Seed 004's GET /approvals lists approvals as JSON for API clients (a bearer token or an
// Accept: application/json); a browser (cookies, text/html) gets the console's inbox page.
const APPROVALS_LIST_ALIASES: readonly RouteAlias[] = [
  { path: "/approvals", when: { header: "authorization", value: "[Bb][Ee][Aa][Rr][Ee][Rr] .*" } },
  { path: "/approvals", when: { header: "accept", value: ".*application/json.*" } },
];

export const ROUTES = {
  "system.health": { aliases: [{ path: "/health" }], method: "GET", path: "/api/health", permission: null, tag: "system",
    summary: "Health of database, migrations, Redis and the active policy" },
  "system.metrics": { aliases: [{ path: "/metrics" }], method: "GET", path: "/api/metrics", permission: "metrics.read", tag: "system", responseContentType: "text/plain",
    summary: "Prometheus metrics: a platform admin sees every series, anyone else the process-wide ones and its own tenant's" },
  "policy.validate": { method: "POST", path: "/api/v1/policy/validate", permission: "policies.read", tag: "policy", bodyContentType: "text/yaml",
    summary: "Validate policy YAML; errors carry line and column" },
  "policy.simulate": { method: "POST", path: "/api/v1/policy/simulate", permission: "policies.simulate", tag: "policy",
    summary: "Decide a what-if call with the full trace, against the tenant's active policy or an inline `policy` (an inline policy also needs `policies.write`: policy authors and admins)" },
  "policy.simulateBatch": { method: "POST", path: "/api/v1/policy/simulate/batch", permission: "policies.simulate", tag: "policy",
    summary: "Decide up to 500 what-if calls against one policy in one request (the studio's live simulation): an inline `policy` (needs `policies.write`; compiled once per SHA-256 of its bytes and cached) or the tenant's active one; answers in the order of `calls`" },
  "policy.validateActive": { method: "GET", path: "/api/v1/policy/validate", permission: "policies.read", tag: "policy",
    summary: "Validate the tenant's active policy (seed 004)" },
  "policy.active": { method: "GET", path: "/api/v1/policy", permission: "policies.read", tag: "policy",
    summary: "The tenant's active policy: version, signature state, YAML" },
  "policy.migrate": { method: "POST", path: "/api/v1/policy/migrate", permission: "policies.read", tag: "policy", bodyContentType: "text/yaml",
    summary: "AegisMCP v1/v2 or TailOps policy → canonical YAML" },
  "policy.diff": { method: "POST", path: "/api/v1/policy/diff", permission: "policies.write", tag: "policy", bodyContentType: "multipart/form-data",
    summary: "Proposed policy (YAML, or a stored `version`) vs the tenant's active one (or the stored version `against`): headline, risk, rule changes, decision changes replayed over recent recorded calls; stored versions are the caller's tenant's own or platform versions (any other id: 404)" },
  "policy.apply": { method: "POST", path: "/api/v1/policy/apply", permission: "policies.apply", tag: "policy", bodyContentType: "multipart/form-data",
    summary: "Store (or reuse) a policy version and roll it out: all, canary_percent or explicit (pins); signature required when signing is configured. Versions belong to the platform (rollouts reaching other tenants) or to one tenant (a pin of its own tenant); without YAML or `version`, the newest version of that scope is applied and `why` says so" },
  "policy.versions": { method: "GET", path: "/api/v1/policy/versions", permission: "policies.read", tag: "policy",
    summary: "Policy versions the caller's tenant may use (its own and platform ones), newest first: scope, signature state, and the caller's tenant's rollouts and pins; platform admins see every version and every tenant's facts" },
  "policy.promote": { method: "POST", path: "/api/v1/policy/promote", permission: "policies.apply", tag: "policy",
    summary: "Complete a canary: the version of the newest canary in progress (or the canary of `version`) goes to every tenant without a pin (strategy all); audited; platform tenant's policy authors only" },
  "policy.versionYaml": { method: "GET", path: "/api/v1/policy/versions/{id}/yaml", permission: "policies.read", tag: "policy", responseContentType: "text/yaml",
    summary: "A stored version's YAML as text/yaml, byte for byte as signed; X-Policy-Hash carries its SHA-256 (the caller's own or a platform version; any other id: 404)" },
  "policy.testCases.list": { method: "GET", path: "/api/v1/policy/test-cases", permission: "policies.read", tag: "policy",
    summary: "The tenant's policy test cases (named call, optional tenant/subject/roles/target role/time, expected decision and rule)" },
  "policy.testCases.create": { method: "POST", path: "/api/v1/policy/test-cases", permission: "policies.write", tag: "policy",
    summary: "Add a test case (scope tenant gates the tenant's own pins; scope platform, platform tenant only, gates platform rollouts); audited" },
  "policy.testCases.update": { method: "PUT", path: "/api/v1/policy/test-cases/{id}", permission: "policies.write", tag: "policy",
    summary: "Replace a test case of the tenant; audited" },
  "policy.testCases.delete": { method: "DELETE", path: "/api/v1/policy/test-cases/{id}", permission: "policies.write", tag: "policy",
    summary: "Delete a test case of the tenant; audited" },
  "policy.sign": { method: "POST", path: "/api/v1/policy/sign", permission: "policies.sign", tag: "policy",
    summary: "Sign a policy's exact bytes (BOM stripped) with the server-held key (POLICY_SIGNING_PRIVATE_KEY_B64), on behalf of the caller; needs policies.sign (role policy_signer, which no one has by default); audited. 404 no_server_key when none is configured" },
  "policy.draft.get": { method: "GET", path: "/api/v1/policy/draft", permission: "policies.write", tag: "policy",
    summary: "The caller's own policy draft in its tenant (404 when none)" },
  "policy.draft.save": { method: "PUT", path: "/api/v1/policy/draft", permission: "policies.write", tag: "policy",
    summary: "Save the caller's policy draft (the studio saves as the author types)" },
  "policy.draft.delete": { method: "DELETE", path: "/api/v1/policy/draft", permission: "policies.write", tag: "policy",
    summary: "Drop the caller's policy draft" },
  "policy.rollback": { method: "POST", path: "/api/v1/policy/rollback", permission: "policies.apply", tag: "policy",
    summary: "Roll back to a version (default: the one the caller's tenant ran before; a pinned tenant drops its pin)" },
  "gateway.mcp": { aliases: [{ path: "/mcp" }], method: "POST", path: "/api/mcp", permission: "mcp.call", tag: "gateway",
    summary: "MCP Streamable HTTP (JSON-RPC 2.0), stateless: revisions 2024-11-05 … 2025-11-25 (initialize, ping, tools/list, tools/call) and 2026-07-28 (server/discover, tools/list, tools/call with input_required relayed; version and client capabilities in _meta; Mcp-Method/Mcp-Name headers checked) — every call enforced. Past DATA_PLANE_MAX_IN_FLIGHT requests in flight the gateway refuses at once: 503 with Retry-After and a JSON-RPC error whose data.code is `overloaded` (nothing was run)" },
  "gateway.mcpStream": { aliases: [{ path: "/mcp" }], method: "GET", path: "/api/mcp", permission: "mcp.call", tag: "gateway",
    summary: "MCP Streamable HTTP standalone SSE stream (session era, Accept: text/event-stream): notifications/tools|resources|prompts/list_changed when what the caller may see changes (a policy applied, an upstream's offerings changing). With Mcp-Session-Id it lasts as long as the session (404 for a bad or ended one), without one MCP_LISTEN_MAX_SECONDS; 406 without the SSE Accept, 405 at 2026-07-28 (stateless), 429/503 past MCP_LISTEN_MAX_PER_CALLER/MCP_LISTEN_MAX_STREAMS" },
  "gateway.mcpEnd": { aliases: [{ path: "/mcp" }], method: "DELETE", path: "/api/mcp", permission: "mcp.call", tag: "gateway",
    summary: "Ends the caller's MCP session (Mcp-Session-Id) on every replica: 204; later requests with that id get 404, its GET streams close. 400 without the header, 404 for another principal's or a bad id" },
  "gateway.protectedResource": { method: "GET", path: "/.well-known/oauth-protected-resource", permission: null, tag: "gateway",
    summary: "OAuth protected resource metadata of /mcp (RFC 9728), what a 401 from /mcp points at in WWW-Authenticate: the resource, the authorization servers of MCP_AUTHORIZATION_SERVERS, bearer in the header. Also served suffixed with an MCP path (/.well-known/oauth-protected-resource/mcp and …/api/mcp, RFC 9728 §3.1), naming that path as the resource" },
  "gateway.check": { method: "POST", path: "/api/v1/guard/check", permission: "guard.check", tag: "gateway",
    summary: "Decision with trace for a call; nothing recorded or run (seed 004)" },
  "gateway.enforce": { method: "POST", path: "/api/v1/guard/enforce", permission: "guard.enforce", tag: "gateway",
    summary: "Decision, rate limits, audit record and approval hand-off; not forwarded (seed 004)" },
  "approvals.create": { method: "POST", path: "/api/approvals/create", permission: "approvals.request", tag: "approvals",
    summary: "Create an approval for an exact call (seed 000 body)" },
  "approvals.slackCallback": { method: "POST", path: "/api/approvals/slack/callback", permission: null, tag: "approvals", bodyContentType: "application/x-www-form-urlencoded",
    summary: "Slack interactivity: Approve / Deny clicks in approval messages and the App Home (authenticated by Slack's request signature, not a token)" },
  "approvals.slackEvents": { method: "POST", path: "/api/approvals/slack/events", permission: null, tag: "approvals",
    summary: "Slack Events API: the URL verification challenge and app_home_opened (authenticated by Slack's request signature, not a token)" },
  "approvals.request": { method: "POST", path: "/api/v1/approvals", permission: "approvals.request", tag: "approvals",
    summary: "Request an approval (seed 003)" },
  "approvals.list": { aliases: APPROVALS_LIST_ALIASES, method: "GET", path: "/api/v1/approvals", permission: "approvals.read", tag: "approvals",
    summary: "List approvals (?status=&tenant=); also GET /approvals with a bearer token or Accept: application/json (seed 004)" },
  "approvals.get": { method: "GET", path: "/api/v1/approvals/{id}", permission: "approvals.read", tag: "approvals",
    summary: "One approval with votes, remaining approvals and expiry" },
  "approvals.decide": { method: "POST", path: "/api/v1/approvals/{id}/approve", permission: "approvals.decide", tag: "approvals",
    summary: "Approve or reject with an HMAC-signed decision (seed 003)" },
  "approvals.revealCode": { method: "POST", path: "/api/v1/approvals/{id}/code", permission: "approvals.decide", tag: "approvals",
    summary: "Reveal your personal one-time approval code for a pending approval (eligible approvers only; audited); completing with it counts as your vote" },
  "approvals.wait": { method: "GET", path: "/api/v1/approvals/{id}/wait", permission: "approvals.read", tag: "approvals",
    summary: "Long poll (seed 000 wait_for_resolution): answers when the approval leaves pending, or after ?timeout= seconds (at most 60)" },
  "approvals.complete": { method: "POST", path: "/api/approvals/complete", permission: "approvals.request", tag: "approvals",
    summary: "Complete an approval with an approver's personal code (seed 004 two-phase): counts as that approver's vote, once; failures throttled and audited" },
  "approvals.verify": { method: "POST", path: "/api/v1/approvals/{id}/verify", permission: "approvals.read", tag: "approvals",
    summary: "Verify a decision signature (seed 003)" },
  "access.members.put": { method: "PUT", path: "/api/admin/rbac/{tenant}/users/{user}", permission: "rbac.manage", tag: "admin",
    summary: "Set a user's roles, approver groups and Slack link in a tenant (membership only; email and name only by the user or a platform admin)" },
  "access.members.get": { method: "GET", path: "/api/admin/rbac/{tenant}/users/{user}", permission: "rbac.read", tag: "admin",
    summary: "A user's roles, groups and Slack link in a tenant (email and name only for the user themself and platform admins)" },
  "access.members.remove": { method: "DELETE", path: "/api/admin/rbac/{tenant}/users/{user}", permission: "rbac.manage", tag: "admin",
    summary: "Remove a member from the tenant (the user and their other tenants stay); the tenant's last admin cannot be removed (409 last_admin); audited" },
  "access.members.list": { method: "GET", path: "/api/admin/rbac/{tenant}/users", permission: "rbac.read", tag: "admin",
    summary: "The tenant's members (roles, approver groups, Slack link, how they sign in) and its open invitations" },
  "access.invitations.create": { method: "POST", path: "/api/admin/rbac/{tenant}/invitations", permission: "rbac.manage", tag: "admin",
    summary: "Add a member by email (201): the membership now, and a one-time link (expiring after CANOPY_INVITATION_TTL_SECONDS) that lets the person set a password, returned this once since no mail server is configured; null when they already have a login" },
  "access.invitations.accept": { method: "POST", path: "/api/invitations/accept", permission: null, tag: "admin",
    summary: "Set the invited person's password with the invitation link's secret (public: the secret is the credential); once, before it expires (410 afterwards)" },
  "account.get": { method: "GET", path: "/api/account", permission: "account.self", tag: "account",
    summary: "The signed-in person's own account: email, name, sign-in methods, tenants and roles (console sessions only; a bearer token is 403)" },
  "account.update": { method: "PUT", path: "/api/account", permission: "account.self", tag: "account",
    summary: "Change one's own name and/or password (current_password required for new_password); console sessions only; audited in each of the person's tenants" },
  "tenants.create": { method: "POST", path: "/api/admin/tenants", permission: "tenants.manage", tag: "admin",
    summary: "Create a tenant (platform admins: role admin in CANOPY_PLATFORM_TENANT); audited" },
  "tenants.list": { method: "GET", path: "/api/admin/tenants", permission: "tenants.read", tag: "admin",
    summary: "Tenants: all of them for platform admins, the caller's own otherwise" },
  "tenants.patch": { method: "PATCH", path: "/api/admin/tenants", permission: "tenants.manage", tag: "admin",
    summary: "Suspend or resume a tenant (its tokens and sessions are refused while suspended; nothing is deleted: the audit chain is immutable), or rename it; platform admins; audited" },
  "tenants.activity": { method: "GET", path: "/api/admin/tenants/{tenant}/activity", permission: "quotas.read", tag: "admin",
    summary: "Calls per minute (last `minutes`) and spend per UTC day vs the daily budget (last `days`), aggregated by Postgres in time buckets" },
  "quotas.put": { method: "PUT", path: "/api/admin/tenants/{tenant}/quotas", permission: "quotas.manage", tag: "admin",
    summary: "Rate limits, concurrency, daily and monthly budgets (tenant-wide and per tool)" },
  "quotas.get": { method: "GET", path: "/api/admin/tenants/{tenant}/quotas", permission: "quotas.read", tag: "admin",
    summary: "The tenant's quota configuration and its usage (requests, USD spent) in the current UTC day and month" },
  "tokens.mint": { method: "POST", path: "/api/admin/tokens", permission: "tokens.manage", tag: "admin",
    summary: "Mint an API token for the caller's tenant (201; the token is shown this once): known roles only, none the caller lacks unless admin, ttl_seconds at most CANOPY_TOKEN_MAX_TTL_SECONDS; audited" },
  "tokens.list": { method: "GET", path: "/api/admin/tokens", permission: "tokens.manage", tag: "admin",
    summary: "The caller's tenant's API tokens, newest first (subject, roles, name, created, expires, last used, revoked; never the token)" },
  "tokens.revoke": { method: "DELETE", path: "/api/admin/tokens/{id}", permission: "tokens.manage", tag: "admin",
    summary: "Revoke a token of the caller's tenant: 401 from its very next use on every replica; another tenant's id is 404; audited (token_change)" },
  "upstreams.list": { method: "GET", path: "/api/admin/upstreams", permission: "upstreams.manage", tag: "admin",
    summary: "Upstream MCP servers the caller's tenant can use: upstreams.yaml (read-only) and the database (admin-managed), with live connection status" },
  "upstreams.put": { method: "PUT", path: "/api/admin/upstreams/{name}", permission: "upstreams.manage", tag: "admin",
    summary: "Create (201) or replace the tenant's Streamable HTTP upstream; stdio is refused (it belongs in upstreams.yaml); header secrets as ${UPSTREAM_*} references; audited (503 and nothing changed when the audit log is down)" },
  "upstreams.delete": { method: "DELETE", path: "/api/admin/upstreams/{name}", permission: "upstreams.manage", tag: "admin",
    summary: "Delete the tenant's upstream and close its connection; file upstreams are read-only (409); audited" },
  "audit.search": { method: "GET", path: "/api/v1/audit", permission: "audit.read", tag: "audit",
    summary: "Search the audit log (filters, keyset pagination)" },
  // POST /audit with a JSON body is the API; the console's /audit page is a browser GET.
  "audit.note": { aliases: [{ path: "/audit", when: { header: "content-type", value: ".*json.*" } }], method: "POST", path: "/api/v1/audit", permission: "audit.write", tag: "audit",
    summary: "Append an agent note (AegisMCP audit_write)" },
  "audit.verify": { method: "GET", path: "/api/v1/audit/verify", permission: "audit.read", tag: "audit",
    summary: "Recompute every hash and link and check checkpoints" },
  "audit.export": { method: "GET", path: "/api/v1/audit/export", permission: "audit.export", tag: "audit", responseContentType: "application/x-ndjson",
    summary: "Stream the log as JSONL (records and signed checkpoints) for offline verification" },
  "dashboard.get": { method: "GET", path: "/api/v1/dashboard", permission: "audit.read", tag: "audit",
    summary: "The console dashboard for a range (1h/24h/7d/30d): decisions per time bucket by outcome (allow, deny, approval, upstream error), top tools, denied tools and rules, decision and upstream latency p50/p95, approvals pending and resolved, budget use; aggregated by Postgres (hourly rollup, or the records for sub-hour buckets). The caller's tenant; `tenant` another one for platform admins (404 when it does not exist)" },
  "audit.checkpoints": { method: "GET", path: "/api/v1/audit/checkpoints", permission: "audit.read", tag: "audit",
    summary: "Signed checkpoints of the tenant's chain" },
  "ops.targets.list": { method: "GET", path: "/api/ops/targets", permission: "ops.targets.read", tag: "ops",
    summary: "The caller's tenant's ops targets (seed 002 inventory) by id, each with its maintenance-window state now and its last actions from the audit log; credentials as secret names only" },
  "ops.targets.create": { method: "POST", path: "/api/ops/targets", permission: "ops.targets.manage", tag: "ops",
    summary: "Create an ops target (201): backend, address, role (the policy's target_roles), tags, maintenance windows, credential_ref (a secret's name, never its value); local targets and docker sockets only for OPS_GATEWAY_HOST_TENANTS; audited" },
  "ops.targets.get": { method: "GET", path: "/api/ops/targets/{id}", permission: "ops.targets.read", tag: "ops",
    summary: "One ops target of the caller's tenant (another tenant's id: 404)" },
  "ops.targets.update": { method: "PUT", path: "/api/ops/targets/{id}", permission: "ops.targets.manage", tag: "ops",
    summary: "Replace an ops target (its id cannot change); if_updated_at refuses a stale edit (409); audited" },
  "ops.targets.delete": { method: "DELETE", path: "/api/ops/targets/{id}", permission: "ops.targets.manage", tag: "ops",
    summary: "Delete an ops target; audited" },
  "ops.targets.test": { method: "POST", path: "/api/ops/targets/{id}/test", permission: "ops.targets.manage", tag: "ops",
    summary: "Test connection: connect to the target (ssh: pinned host key and key auth; local: roots and programs; docker/proxmox: version) and report what answered; changes nothing there; recorded" },
  "ops.emergency.status": { method: "GET", path: "/api/ops/emergency", permission: "ops.targets.read", tag: "ops",
    summary: "Break-glass state of the caller's tenant: the live activation (reason, who, expiry), the maximum duration (OPS_EMERGENCY_MAX_MINUTES) and recent activations" },
  "ops.emergency.activate": { method: "POST", path: "/api/ops/emergency", permission: "ops.emergency.manage", tag: "ops",
    summary: "Activate break-glass (201) for a bounded time with a reason: the tenant's callers hold OPS_EMERGENCY_ROLE for ops policies until it expires; a platform admin may name another tenant; one live activation per tenant (409); audited" },
  "ops.emergency.end": { method: "DELETE", path: "/api/ops/emergency", permission: "ops.emergency.manage", tag: "ops",
    summary: "End the live break-glass activation early (?tenant= for a platform admin); audited" },
  "system.openapi": { method: "GET", path: "/api/openapi.json", permission: null, tag: "system",
    summary: "This document" },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;
export type Route<Id extends RouteId = RouteId> = (typeof ROUTES)[Id];

/** Ids of the routes a token or session must call (withAuth) and of the public ones (withErrors). */
export type AuthRouteId = { [K in RouteId]: (typeof ROUTES)[K]["permission"] extends null ? never : K }[RouteId];
export type PublicRouteId = Exclude<RouteId, AuthRouteId>;

type ParamNames<S extends string> = S extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;
/** The dynamic segments of a route's path, as Next passes them to the handler. */
export type RouteParams<Id extends RouteId> = { [K in ParamNames<(typeof ROUTES)[Id]["path"]>]: string };

export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];

export function routeSpec(id: RouteId): RouteSpec {
  return ROUTES[id];
}

/** Marks a handler made by withAuth/withErrors with its route id (read by the route-table test). */
export const ROUTE_ID = Symbol.for("canopyiq.routeId");

export function routeIdOf(handler: unknown): RouteId | undefined {
  return typeof handler === "function" ? (handler as unknown as Record<symbol, RouteId | undefined>)[ROUTE_ID] : undefined;
}

/** The paths a route also answers at: through a mount, and its own aliases. */
export function aliasesOf(spec: RouteSpec): string[] {
  const out: string[] = [];
  for (const m of MOUNTS) {
    if (spec.path === m.to && m.exact) out.push(m.from);
    else if (spec.path.startsWith(`${m.to}/`)) out.push(m.from + spec.path.slice(m.to.length));
  }
  for (const a of spec.aliases ?? []) out.push(a.when ? `${a.path} (with ${a.when.header} matching ${a.when.value})` : a.path);
  return out;
}

const toNext = (p: string) => p.replace(/\{(\w+)\}/g, ":$1");

export interface Rewrite {
  source: string;
  destination: string;
  has?: { type: "header"; key: string; value: string }[];
}

/** next.config.ts's beforeFiles rewrites: the mounts, then each route's own aliases. */
export function routeRewrites(): Rewrite[] {
  const out: Rewrite[] = [];
  for (const m of MOUNTS) {
    if (m.exact) out.push({ source: m.from, destination: m.to });
    const rest = m.nonEmpty ? ":path+" : ":path*";
    out.push({ source: `${m.from}/${rest}`, destination: `${m.to}/${rest}` });
  }
  const seen = new Set<string>();
  for (const spec of Object.values(ROUTES) as RouteSpec[]) {
    for (const a of spec.aliases ?? []) {
      const r: Rewrite = { source: toNext(a.path), destination: toNext(spec.path), ...(a.when ? { has: [{ type: "header", key: a.when.header, value: a.when.value }] } : {}) };
      const key = JSON.stringify(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}
