import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { E2E_PORT } from "../constants";
import { bearer, platformAdmin, token } from "../security/kit";
import { canopy, sh } from "./seed-kit";

/**
 * Seed 001 ("Policy Specification"): every YAML example validates in our language, the examples
 * decide as the document says, and the staged-rollout and tenant-override curls work as written
 * (with our host and a bearer token added; their tenants created first with the tenants API).
 */

const BASE = `http://127.0.0.1:${E2E_PORT}`;
const dir = mkdtempSync(path.join(tmpdir(), "seed001-"));

function validate(name: string, yaml: string) {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return canopy(["policy", "validate", file]);
}

/** The policy simulator (seed 001 "Test Changes"), inline policy, as a policy author. */
async function simulate(request: APIRequestContext, yaml: string, call: { tool: string; arguments: object }) {
  const res = await request.post("/api/v1/policy/simulate", { headers: bearer(token("demo-tenant", "author", "policy_author")), data: { ...call, policy: yaml } });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as { decision: { decision: string; rule: string | null; required_approvals?: number; approver_group?: string } };
}

const wrap = (where: string, action = "deny") => `version: 1
defaults:
  decision: allow
rules:
  - name: "example"
    match: "net.http"
    where:
${where.replace(/^/gm, "      ")}
    action: ${action}
`;

test.describe("seed 001 policy examples", () => {
  test("Basic Structure (with `where:` left as a comment) validates", async ({ request }) => {
    const basic = `version: 1
defaults:
  decision: deny  # fail-closed by default

rules:
  - name: "Rule name"
    match: "tool.name"
    where:
      # conditions
    action: allow
    reason: "Human-readable explanation"
`;
    expect(validate("basic.yaml", basic)).toMatchObject({ code: 0 });
    expect((await simulate(request, basic, { tool: "tool.name", arguments: {} })).decision).toMatchObject({ decision: "allow", rule: "Rule name" });
    expect((await simulate(request, basic, { tool: "other.tool", arguments: {} })).decision).toMatchObject({ decision: "deny", rule: null });
  });

  test("Tool Patterns: exact `net.http` and wildcard `fs.*` (implemented)", async ({ request }) => {
    const p = 'version: 1\nrules:\n  - { name: http, match: "net.http", action: allow }\n  - { name: fs, match: "fs.*", action: deny }\n';
    expect((await simulate(request, p, { tool: "net.http", arguments: {} })).decision.rule).toBe("http");
    expect((await simulate(request, p, { tool: "fs.write", arguments: {} })).decision.rule).toBe("fs");
  });

  test("HTTP Rules: method, host_in, host_not_in, body_bytes_over", async ({ request }) => {
    const where = `method: "GET"                           # HTTP method
host_in: ["api.internal.com"]           # Allowed hosts
host_not_in: ["external.badsite.com"]   # Blocked hosts
body_bytes_over: 1048576                # Size limit`;
    expect(validate("http.yaml", wrap(where))).toMatchObject({ code: 0 });
    const p = wrap(where);
    expect((await simulate(request, p, { tool: "net.http", arguments: { method: "GET", url: "https://api.internal.com/x", body: "x".repeat(1048577) } })).decision.decision).toBe("deny");
    expect((await simulate(request, p, { tool: "net.http", arguments: { method: "GET", url: "https://api.internal.com/x", body: "small" } })).decision.decision).toBe("allow");
  });

  test("File System Rules: path_not_under, path_under", async ({ request }) => {
    const where = `path_not_under: ["/etc", "/usr"]        # Forbidden paths
path_under: ["/tmp", "/sandbox"]        # Allowed paths`;
    const p = wrap(where, "allow").replace('match: "net.http"', 'match: "fs.write"').replace("decision: allow", "decision: deny");
    expect(validate("fs.yaml", p)).toMatchObject({ code: 0 });
    expect((await simulate(request, p, { tool: "fs.write", arguments: { path: "/sandbox/a" } })).decision.decision).toBe("allow");
    expect((await simulate(request, p, { tool: "fs.write", arguments: { path: "/sandbox/../etc/passwd" } })).decision.decision).toBe("deny");
  });

  test("Cost Rules: estimated_cost_usd_over", async ({ request }) => {
    const p = wrap("estimated_cost_usd_over: 10.0          # Dollar threshold", "approval").replace('match: "net.http"', 'match: "cloud.ops"');
    expect(validate("cost.yaml", p)).toMatchObject({ code: 0 });
    expect((await simulate(request, p, { tool: "cloud.ops", arguments: { provider: "aws", action: "s3.put_object", estimated_cost_usd: 75 } })).decision.decision).toBe("approval");
    expect((await simulate(request, p, { tool: "cloud.ops", arguments: { provider: "aws", action: "s3.put_object", estimated_cost_usd: 5 } })).decision.decision).toBe("allow");
  });

  test("Actions: allow, deny with reason, approval with required_approvals and approver_group (dual control)", async ({ request }) => {
    const p = `version: 1
rules:
  - name: a
    match: "a"
    action: allow
  - name: d
    match: "d"
    action: deny
    reason: "External API access forbidden"
  - name: r
    match: "r"
    action: approval
    required_approvals: 2                    # Dual-control
    approver_group: "security-team"         # Route to specific team
    reason: "High-cost operation requires approval"
`;
    expect(validate("actions.yaml", p)).toMatchObject({ code: 0 });
    const r = (await simulate(request, p, { tool: "r", arguments: {} })).decision;
    expect(r).toMatchObject({ decision: "approval", required_approvals: 2, approver_group: "security-team" });
  });
});

test.describe("seed 001 staged rollout and tenant overrides", () => {
  // The canary rolls out whatever platform version is newest (other suites upload theirs), and the
  // demo tenant may fall in its 10%: put the fleet back on the sample policy the later suites expect.
  test.afterAll(async ({ request }) => {
    const res = await request.post("/api/v1/policy/apply", {
      headers: bearer(platformAdmin()),
      multipart: { policy: readFileSync("policies/samples.yaml", "utf8"), strategy: "all", message: "e2e: back to the samples", override_reason: "e2e: restore the sample policy" },
    });
    expect(res.ok(), await res.text()).toBe(true);
  });

  test("`-F strategy=canary_percent -F canary_percent=10` as written rolls the newest platform version out to 10%", () => {
    const r = sh(`curl -s -X POST ${BASE}/v1/policy/apply -H "Authorization: Bearer $TOKEN" \\
  -F strategy=canary_percent \\
  -F canary_percent=10`, { TOKEN: platformAdmin() });
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.rollout).toMatchObject({ strategy: "canary_percent", canary_percent: 10 });
    expect(body.version.scope).toBe("platform");
  });

  test('`-F strategy=explicit -F tenants_csv="acme-prod,globex-critical"` pins both, once they exist', async ({ request }) => {
    const apply = () =>
      sh(`curl -s -X POST ${BASE}/v1/policy/apply -H "Authorization: Bearer $TOKEN" \\
  -F strategy=explicit \\
  -F tenants_csv="acme-prod,globex-critical"`, { TOKEN: platformAdmin() });
    // The tenants are created first (the README shows this step); until then nothing is applied.
    for (const id of ["acme-prod", "globex-critical"]) {
      const res = await request.post("/api/admin/tenants", { headers: bearer(platformAdmin()), data: { id } });
      expect([201, 409]).toContain(res.status());
    }
    const body = JSON.parse(apply().stdout);
    expect(body.pinned).toEqual(["acme-prod", "globex-critical"]);
    const seen = await (await request.get("/api/v1/policy", { headers: bearer(token("acme-prod", "viewer", "viewer")) })).json();
    expect(seen.version).toBe(body.version.id);
  });
});
