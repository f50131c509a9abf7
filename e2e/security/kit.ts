import { randomBytes } from "node:crypto";
import { expect, type APIRequestContext, type APIResponse } from "@playwright/test";
import { E2E_PROBE_PORT } from "../constants";
import { cliToken } from "../helpers";

/**
 * What the security suite shares: fresh tenants (so attacks never depend on each other), tokens
 * for any tenant/subject/roles, a policy pinned to one tenant, MCP calls, the probe upstream's
 * counters (nothing reached the upstream) and the error envelope.
 */

export const PLATFORM_TENANT = "demo-tenant";

export function token(tenant: string, subject: string, roles: string | string[], ttl = 900): string {
  return cliToken({ tenant, subject, roles: Array.isArray(roles) ? roles.join(",") : roles, ttl });
}

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
