import { createHmac, createPrivateKey, randomBytes, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext, type APIResponse } from "@playwright/test";
import { E2E_DATA_DIR, E2E_PROBE_PORT, E2E_SLACK_SIGNING_SECRET } from "../constants";
import { cliToken } from "../helpers";

/**
 * What the security suite shares: fresh tenants (so attacks never depend on each other), tokens
 * for any tenant/subject/roles, a policy pinned to one tenant, MCP calls, the probe upstream's
 * counters (nothing reached the upstream) and the error envelope.
 */

export const PLATFORM_TENANT = "demo-tenant";

/**
 * A bearer token signed with the e2e server's own key (its data folder), exactly as
 * `canopy mint-token` signs one — in-process, because spawning the CLI for each of the suite's
 * hundreds of tokens costs seconds each (tests of the CLI itself use cliToken).
 */
export function token(tenant: string, subject: string, roles: string | string[], ttl = 900): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "EdDSA", typ: "JWT" };
  const claims = { tenant, roles: Array.isArray(roles) ? roles : roles.split(","), iss: "canopyiq", aud: "canopyiq-api", sub: subject, jti: randomUUID(), iat: now, exp: now + ttl };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign(null, Buffer.from(input), createPrivateKey(serverSecrets().jwtPrivateKeyPem)).toString("base64url");
  return `${input}.${signature}`;
}

export { cliToken };

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** A platform admin's token (role admin in the platform tenant). */
export function platformAdmin(): string {
  return token(PLATFORM_TENANT, "platform-admin", "admin");
}

/** Creates a tenant through the tenants API (as a platform admin); the id is unique per call. */
export async function newTenant(request: APIRequestContext, prefix = "t"): Promise<string> {
  const id = `${prefix}-${randomBytes(4).toString("hex")}`;
  const res = await request.post("/api/admin/tenants", { headers: bearer(platformAdmin()), data: { id, name: `Security test ${id}` } });
  expect(res.status(), await res.text()).toBe(201);
  return id;
}

/** Stores `yaml` and pins `tenant` to it (explicit rollout by the tenant's own policy author). */
export async function pinPolicy(request: APIRequestContext, tenant: string, yaml: string): Promise<number> {
  const res = await request.post("/api/v1/policy/apply", {
    headers: bearer(token(tenant, "author", "policy_author")),
    data: { strategy: "explicit", tenants_csv: tenant, policy: yaml, message: "security test policy" },
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()).version.id as number;
}

export interface RpcAnswer {
  status: number;
  body: { jsonrpc?: string; id?: unknown; result?: { isError?: boolean; content?: { type: string; text?: string }[]; _meta?: { canopyiq?: Record<string, unknown> } }; error?: { code: number; message: string } } & Record<string, unknown>;
}

/** One JSON-RPC tools/call on /mcp. */
export async function mcpCall(request: APIRequestContext, t: string, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<RpcAnswer> {
  const res = await request.post("/mcp", {
    headers: { ...bearer(t), "content-type": "application/json", accept: "application/json, text/event-stream" },
    data: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } },
  });
  const text = await res.text();
  return { status: res.status(), body: text ? JSON.parse(text) : {} };
}

export const resultText = (a: RpcAnswer) => (a.body.result?.content ?? []).map((c) => c.text ?? "").join("\n");
export const verdictOf = (a: RpcAnswer) => a.body.result?._meta?.canopyiq as { decision: string; rule: string | null; reason: string | null; approval?: { id: string }; trace_id: string } | undefined;

/** The probe upstream's counters. */
export async function probeCalls(request: APIRequestContext): Promise<{ total: number; by_tool: Record<string, number>; last: { tool: string; arguments: Record<string, unknown> }[] }> {
  const res = await request.get(`http://127.0.0.1:${E2E_PROBE_PORT}/calls`);
  expect(res.status()).toBe(200);
  return res.json();
}

/** Asserts the error envelope `{"error":{"code","message"}}` with the status (and code, when given). */
export async function expectEnvelope(res: APIResponse, status: number, code?: string | RegExp): Promise<{ code: string; message: string; details?: unknown }> {
  const text = await res.text();
  expect(res.status(), text).toBe(status);
  const body = JSON.parse(text) as { error?: { code: string; message: string; details?: unknown } };
  expect(body.error, text).toBeDefined();
  expect(typeof body.error!.message).toBe("string");
  if (code !== undefined) {
    if (typeof code === "string") expect(body.error!.code).toBe(code);
    else expect(body.error!.code).toMatch(code);
  }
  return body.error!;
}

/** A policy that allows the probe's tools, gates probe.write behind 2-of-secops, for a fresh tenant. */
export const PROBE_POLICY = `version: 1
defaults: { decision: deny }
rules:
  - name: "probe writes need two secops approvers"
    match: "probe.write"
    action: approval
    approver_group: secops
    required_approvals: 2
    reason: "Writes need two approvers"
  - name: "probe reads"
    match: ["probe.echo", "probe.http", "probe.spend"]
    action: allow
`;

/** Sets a member's roles, groups and Slack link in a tenant, as that tenant's admin. */
export async function putMember(request: APIRequestContext, tenant: string, user: string, body: Record<string, unknown>, asToken = token(tenant, "root", "admin")): Promise<APIResponse> {
  return request.put(`/admin/rbac/${tenant}/users/${user}`, { headers: bearer(asToken), data: body });
}

let secrets: { hmacSecret: string; jwtPrivateKeyPem: string } | undefined;
function serverSecrets() {
  secrets ??= JSON.parse(readFileSync(path.resolve(E2E_DATA_DIR, "secrets.json"), "utf8")) as { hmacSecret: string; jwtPrivateKeyPem: string };
  return secrets;
}

/** The e2e server's HMAC secret (its data folder), for seed 003 decision signatures. */
export function hmacSecret(): string {
  return serverSecrets().hmacSecret;
}

/** A seed 003 decision by `approver`, signed as the API expects. */
export async function signedVote(request: APIRequestContext, tenant: string, id: string, approver: string, decision: "approved" | "rejected" = "approved", signWith?: string): Promise<APIResponse> {
  const t = token(tenant, approver, "approver");
  const detail = await request.get(`/v1/approvals/${id}`, { headers: bearer(t) });
  const expiresAt = detail.ok() ? ((await detail.json()) as { expires_at: string }).expires_at : "1970-01-01T00:00:00Z";
  const signature = createHmac("sha256", signWith ?? hmacSecret()).update(`${id}:${decision}:${approver}:${expiresAt}`).digest("hex");
  return request.post(`/v1/approvals/${id}/approve`, { headers: bearer(t), data: { decision, approver, signature } });
}

/** A body signed as Slack signs it, with the e2e server's Slack signing secret. */
function slackSigned(raw: string, contentType: string) {
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac("sha256", E2E_SLACK_SIGNING_SECRET).update(`v0:${ts}:${raw}`).digest("hex");
  return { headers: { "content-type": contentType, "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${sig}` }, data: raw };
}

/**
 * A Slack button click. Each carries its own trigger id, as Slack's do: the server accepts a
 * signed request once. `message`: the channel message clicked (its channel and ts).
 */
export async function slackClick(request: APIRequestContext, slackUser: string, action: "approve" | "deny", approvalId: string, team = "T0E2E0001", message?: { channel: string; ts: string }): Promise<APIResponse> {
  const payload = {
    type: "block_actions", trigger_id: randomUUID(), user: { id: slackUser, team_id: team }, team: { id: team },
    ...(message ? { channel: { id: message.channel }, message: { ts: message.ts }, container: { type: "message", channel_id: message.channel, message_ts: message.ts } } : {}),
    actions: [{ action_id: action, value: approvalId }],
  };
  return request.post("/approvals/slack/callback", slackSigned(`payload=${encodeURIComponent(JSON.stringify(payload))}`, "application/x-www-form-urlencoded"));
}

/** Slack's Events API: `app_home_opened` for a Slack user (the server publishes their Home tab). */
export async function slackHomeOpened(request: APIRequestContext, slackUser: string, team = "T0E2E0001"): Promise<APIResponse> {
  const body = { type: "event_callback", team_id: team, api_app_id: "A0E2E", event_id: `Ev${randomUUID()}`, event: { type: "app_home_opened", user: slackUser, channel: "D0E2E", tab: "home", event_ts: String(Date.now() / 1000) } };
  return request.post("/approvals/slack/events", slackSigned(JSON.stringify(body), "application/json"));
}

/** What the fake Slack Web API (on the probe server) received: chat.postMessage, chat.update, views.publish, … */
export async function slackApiCalls(request: APIRequestContext, method?: string): Promise<{ method: string; body: Record<string, unknown>; result?: Record<string, unknown> }[]> {
  const res = await request.get(`http://127.0.0.1:${E2E_PROBE_PORT}/slack/calls`);
  expect(res.status()).toBe(200);
  const calls = (await res.json()) as { method: string; body: Record<string, unknown>; result?: Record<string, unknown> }[];
  return method ? calls.filter((c) => c.method === method) : calls;
}

/** An approval as the API shows it. */
export async function getApproval(request: APIRequestContext, tenant: string, id: string): Promise<{ status: string; approvals: number; required_approvals: number; approver_group: string | null; quorum_source: string; votes: { approver: string }[] }> {
  const res = await request.get(`/v1/approvals/${id}`, { headers: bearer(token(tenant, "auditor", "viewer")) });
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}
