import { expect, test } from "@playwright/test";
import { bearer, newTenant, token } from "./kit";

/**
 * The RBAC matrix: each role × each protected route of the OpenAPI document, against the real
 * server. The table is written out here (not derived from lib/auth/rbac.ts), so a change to who may
 * do what is a reviewed change to this table. A refusal by RBAC is 403 naming the missing
 * permission; anything else means the role got past the check (the answer may still be 400/404:
 * the requests carry placeholder bodies and ids, in a fresh tenant of their own).
 */

const ROLES = ["admin", "policy_author", "approver", "viewer", "agent", "policy_signer", "metrics_scraper"] as const;
const READERS = ["admin", "policy_author", "approver", "viewer"];
// Every role but Prometheus's, which reads /api/metrics and nothing else.
const EVERYONE = ROLES.filter((r) => r !== "metrics_scraper");

const MATRIX: [operation: string, allowed: readonly string[]][] = [
  ["GET /api/metrics", [...READERS, "metrics_scraper"]],
  ["POST /api/v1/policy/validate", EVERYONE],
  ["POST /api/v1/policy/simulate", ["admin", "policy_author", "approver", "agent"]],
  ["GET /api/v1/policy/validate", EVERYONE],
  ["GET /api/v1/policy", EVERYONE],
  ["POST /api/v1/policy/migrate", EVERYONE],
  ["POST /api/v1/policy/diff", ["admin", "policy_author"]],
  ["POST /api/v1/policy/apply", ["admin", "policy_author"]],
  ["GET /api/v1/policy/versions", EVERYONE],
  ["POST /api/v1/policy/rollback", ["admin", "policy_author"]],
  ["POST /api/v1/policy/simulate/batch", ["admin", "policy_author", "approver", "agent"]],
  ["POST /api/v1/policy/promote", ["admin", "policy_author"]],
  ["GET /api/v1/policy/versions/{id}/yaml", EVERYONE],
  ["GET /api/v1/policy/test-cases", EVERYONE],
  ["POST /api/v1/policy/test-cases", ["admin", "policy_author"]],
  ["PUT /api/v1/policy/test-cases/{id}", ["admin", "policy_author"]],
  ["DELETE /api/v1/policy/test-cases/{id}", ["admin", "policy_author"]],
  ["POST /api/v1/policy/sign", ["policy_signer"]],
  ["GET /api/v1/policy/draft", ["admin", "policy_author"]],
  ["PUT /api/v1/policy/draft", ["admin", "policy_author"]],
  ["DELETE /api/v1/policy/draft", ["admin", "policy_author"]],
  ["POST /api/mcp", ["admin", "agent"]],
  ["GET /api/mcp", ["admin", "agent"]],
  ["DELETE /api/mcp", ["admin", "agent"]],
  ["POST /api/v1/guard/check", ["admin", "agent"]],
  ["POST /api/v1/guard/enforce", ["admin", "agent"]],
  ["POST /api/approvals/create", ["admin", "agent"]],
  ["POST /api/v1/approvals", ["admin", "agent"]],
  ["GET /api/v1/approvals", READERS],
  ["GET /api/v1/approvals/{id}", READERS],
  ["POST /api/v1/approvals/{id}/approve", ["admin", "approver"]],
  ["POST /api/v1/approvals/{id}/verify", READERS],
  ["POST /api/v1/approvals/{id}/code", ["admin", "approver"]],
  ["GET /api/v1/approvals/{id}/wait", READERS],
  ["POST /api/approvals/complete", ["admin", "agent"]],
  ["PUT /api/admin/rbac/{tenant}/users/{user}", ["admin"]],
  ["GET /api/admin/rbac/{tenant}/users/{user}", READERS],
  ["DELETE /api/admin/rbac/{tenant}/users/{user}", ["admin"]],
  ["GET /api/admin/rbac/{tenant}/users", READERS],
  ["POST /api/admin/rbac/{tenant}/invitations", ["admin"]],
  ["GET /api/account", EVERYONE],
  ["PUT /api/account", EVERYONE],
  ["POST /api/admin/tenants", ["admin"]],
  ["GET /api/admin/tenants", READERS],
  ["PATCH /api/admin/tenants", ["admin"]],
  ["GET /api/admin/tenants/{tenant}/activity", READERS],
  ["PUT /api/admin/tenants/{tenant}/quotas", ["admin"]],
  ["GET /api/admin/tenants/{tenant}/quotas", READERS],
  ["POST /api/admin/tokens", ["admin"]],
  ["GET /api/admin/tokens", ["admin"]],
  ["DELETE /api/admin/tokens/{id}", ["admin"]],
  ["GET /api/admin/upstreams", ["admin"]],
  ["PUT /api/admin/upstreams/{name}", ["admin"]],
  ["DELETE /api/admin/upstreams/{name}", ["admin"]],
  ["GET /api/v1/audit", READERS],
  ["POST /api/v1/audit", ["admin", "agent"]],
  ["GET /api/v1/audit/verify", READERS],
  ["GET /api/v1/audit/export", ["admin"]],
  ["GET /api/v1/audit/checkpoints", READERS],
  ["GET /api/ops/targets", READERS],
  ["POST /api/ops/targets", ["admin"]],
  ["GET /api/ops/targets/{id}", READERS],
  ["PUT /api/ops/targets/{id}", ["admin"]],
  ["DELETE /api/ops/targets/{id}", ["admin"]],
  ["POST /api/ops/targets/{id}/test", ["admin"]],
  ["GET /api/ops/emergency", READERS],
  ["POST /api/ops/emergency", ["admin"]],
  ["DELETE /api/ops/emergency", ["admin"]],
  ["GET /api/v1/dashboard", READERS],
];

const PUBLIC = new Set(["GET /api/health", "GET /.well-known/oauth-protected-resource", "GET /api/openapi.json", "POST /api/approvals/slack/callback", "POST /api/approvals/slack/events", "POST /api/invitations/accept"]);

let tenant: string;

test.beforeAll(async ({ request }) => {
  tenant = await newTenant(request, "rbac");
});

test("the matrix covers every protected operation of the OpenAPI document", async ({ request }) => {
  const doc = (await (await request.get("/api/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((x) => `${x.toUpperCase()} ${p}`));
  expect(ops.filter((op) => !PUBLIC.has(op) && !MATRIX.some(([o]) => o === op)), "add each new route to MATRIX").toEqual([]);
});

const cases = MATRIX.flatMap(([op, allowed]) => ROLES.map((role) => [op, role, allowed.includes(role)] as const));

for (const [op, role, allowed] of cases) {
  test(`${op} as ${role}: ${allowed ? "allowed" : "403"}`, async ({ request }) => {
    const [method, template] = op.split(" ");
    const url = template.replace("{tenant}", tenant).replace("{user}", "nobody").replace("{id}", "none").replace("{name}", "none");
    const yaml = /validate|migrate/.test(url) && method === "POST";
    const res = await request.fetch(url, {
      method,
      headers: {
        ...bearer(token(tenant, `rbac-${role}`, role)),
        "content-type": yaml ? "text/yaml" : "application/json",
        accept: "application/json, text/event-stream",
        // GET /api/mcp would open a stream that never ends: at the stateless revision it answers 405, after the RBAC check.
        ...(op === "GET /api/mcp" ? { "mcp-protocol-version": "2026-07-28" } : {}),
      },
      ...(method === "GET" || method === "DELETE" ? {} : { data: yaml ? "version: 1\nrules: []\n" : "{}" }),
    });
    const text = await res.text();
    const rbacRefusal = res.status() === 403 && /permission [\w.]+ is required/.test(text);
    expect(rbacRefusal, `${op} as ${role} → ${res.status()} ${text.slice(0, 200)}`).toBe(!allowed);
    expect(res.status()).toBeLessThan(500);
  });
}
