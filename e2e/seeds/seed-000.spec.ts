import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { parseEnv } from "../../lib/env";
import { E2E_PORT } from "../constants";
import { putMember, slackClick, token } from "../security/kit";
import { spawn } from "node:child_process";
import { E2E_DATA_DIR } from "../constants";
import { signedVote } from "../security/kit";
import { canopy, onE2E, ServerRefused, sh, startServer } from "./seed-kit";

/**
 * Seed 000 ("CanopyIQ MCP Production Features"), every example in its own words. Elsewhere (README
 * "Seed examples"): §5A's agent flow through the gateway is e2e/dual-control.spec.ts; §4 helm/kubectl
 * cannot run here (the chart rendering test stands in).
 */

const BASE = `http://127.0.0.1:${E2E_PORT}`;
const run = (line: string, env: Record<string, string> = {}) => sh(onE2E(line, BASE), env);
const adminToken = () => canopy(["mint-token", "--tenant", "demo-tenant", "--subject", "alice", "--roles", "admin,approver", "--ttl", "7200"]).stdout.trim();

test.describe("seed 000 §1 Redis-backed approvals with dual control", () => {
  test("the environment of `Enable Redis and Slack approvals` is valid configuration", () => {
    const e = parseEnv({ REDIS_URL: "redis://redis:6379/0", SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/...", SLACK_SIGNING_SECRET: "xxxx", APPROVAL_SYNC_WAIT_MS: "0" });
    expect(e).toMatchObject({ REDIS_URL: "redis://redis:6379/0", APPROVAL_SYNC_WAIT_MS: 0 });
    expect(parseEnv({ APPROVAL_SYNC_WAIT_MS: "20000" }).APPROVAL_SYNC_WAIT_MS).toBe(20000);
  });

  test("the dual-control policy example validates and is the sample policy's first rule", () => {
    const rule = `- name: "FS-write outside jail requires dual approval"
  match: "fs.write"
  where:
    path_not_under: ["/sandbox/tmp", "/sandbox/out"]
  action: approval
  approver_group: "secops"
  required_approvals: 2
  reason: "Write outside jail requires two approvers"`;
    const policy = `version: 1\nrules:\n${rule.replace(/^/gm, "  ")}\n`;
    const file = path.join(tmpdir(), `seed000-rule-${Date.now()}.yaml`);
    writeFileSync(file, policy);
    expect(canopy(["policy", "validate", file])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK/) });
    // The sample policy carries the rule (for fs.write and the other writing tools).
    const sample = readFileSync("app/policies/samples.yaml", "utf8");
    for (const line of ['- name: "FS-write outside jail requires dual approval"', 'path_not_under: ["/sandbox/tmp", "/sandbox/out"]', 'approver_group: "secops"', "required_approvals: 2"]) expect(sample).toContain(line);
  });

  test("`Test dual-control flow`: the curl as written (plus a token) files the approval; two Slack users approve it; a deny rejects another", async ({ request }) => {
    const TOKEN = adminToken();
    const curl = `curl -s -X POST http://localhost:8080/approvals/create \\
  -H "Authorization: Bearer $TOKEN" \\
  -H 'Content-Type: application/json' \\
  -d '{
        "pending_id":"abc123",
        "tenant":"demo-tenant",
        "subject":"agent-42",
        "tool":"fs.write",
        "required_approvals": 2,
        "args":{"path":"/etc/hosts","content":"malicious"},
        "summary":"Write to /etc/hosts by agent-42"
      }'`;
    const r = run(curl, { TOKEN });
    expect(r.code).toBe(0);
    const approval = JSON.parse(r.stdout);
    expect(approval).toMatchObject({ id: "appr_abc123", pending_id: "abc123", status: "pending", required_approvals: 2, approver_group: "secops", tool: "fs.write", subject: "agent-42" });

    // "Two different Slack users must click Approve": two secops approvers linked to Slack users.
    const admin = token("demo-tenant", "seed-admin", "admin");
    for (const [user, slack] of [["seed-sec1", "U0SEEDSEC1"], ["seed-sec2", "U0SEEDSEC2"]]) {
      expect((await putMember(request, "demo-tenant", user, { roles: ["approver"], groups: ["secops"], slack_user_id: slack }, admin)).status()).toBe(200);
    }
    expect(await (await slackClick(request, "U0SEEDSEC1", "approve", approval.id)).json()).toMatchObject({ text: expect.stringContaining("1 of 2") });
    expect(await (await slackClick(request, "U0SEEDSEC2", "approve", approval.id)).json()).toMatchObject({ text: expect.stringContaining("now approved") });

    // "Any Deny immediately rejects."
    const other = JSON.parse(run(curl.replace('"abc123"', '"abc124"').replace("/etc/hosts\",\"content\":\"malicious", "/etc/passwd\",\"content\":\"x"), { TOKEN }).stdout);
    expect(await (await slackClick(request, "U0SEEDSEC1", "deny", other.id)).json()).toMatchObject({ text: expect.stringContaining("now rejected") });
  });

  test("`Configure Slack App`: the Request URL /approvals/slack/callback answers Slack's signed clicks", async ({ request }) => {
    const res = await slackClick(request, "U0NOTLINKED", "approve", "appr_abc123");
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ response_type: "ephemeral" });
  });
});

test.describe("seed 000 §2 policy bundle signing and §5C tampering", () => {
  const sig = "app/policies/samples.yaml.sig";
  test.afterAll(() => {
    rmSync(sig, { force: true });
    rmSync("keys", { recursive: true, force: true });
  });

  test("gen-key, sign, verify, then the server runs with the signature required; a tampered policy is refused", async () => {
    test.setTimeout(240_000);
    rmSync("keys", { recursive: true, force: true });
    expect(canopy(["policy", "gen-key", "--out-dir", "keys/"]).code).toBe(0);
    expect(canopy(["policy", "sign", "app/policies/samples.yaml", "--private-key", "keys/canopyiq_policy_private.key"]).code).toBe(0);
    expect(existsSync(sig)).toBe(true);
    const verify = canopy(["policy", "verify", "app/policies/samples.yaml", "--public-key", "keys/canopyiq_policy_public.key", "--signature", "app/policies/samples.yaml.sig"]);
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK/) });

    // `export POLICY_PUBLIC_KEY_B64=$(cat keys/canopyiq_policy_public.key)` … then start the server.
    const env = { POLICY_PUBLIC_KEY_B64: readFileSync("keys/canopyiq_policy_public.key", "utf8").trim(), POLICY_SIG_PATH: "app/policies/samples.yaml.sig", POLICY_REQUIRE_SIGNATURE: "true" };
    const server = await startServer(env);
    try {
      const health = await (await fetch(`${server.url}/api/health`)).json();
      expect(health.checks.policy).toMatchObject({ ok: true, signed: true, verified: true });
    } finally {
      await server.stop();
    }

    // §5C: "Tamper with YAML → server refuses to load when POLICY_REQUIRE_SIGNATURE=true" (a tampered copy, same signature).
    const tampered = sh("d=$(mktemp -d) && sed 's/required_approvals: 2/required_approvals: 1/' app/policies/samples.yaml > $d/samples.yaml && echo $d/samples.yaml").stdout.trim();
    const refused = await startServer({ ...env, POLICY_PATH: tampered }).then(
      async (s) => {
        await s.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ServerRefused);
    expect((refused as ServerRefused).output).toMatch(/CanopyIQ cannot start: refusing to load .*bad_signature/);
  });
});

test.describe("seed 000 §3 database setup", () => {
  test('`psql "$DATABASE_URL" -f app/audit/migrate.sql` builds the schema on an empty database', async () => {
    test.skip(!process.env.DATABASE_URL || sh("command -v psql").code !== 0, "needs Postgres (DATABASE_URL) and psql; the same script is applied by lib/db/schema-sql.test.ts everywhere");
    const base = new URL(process.env.DATABASE_URL!);
    const name = `canopy_seed_psql_${Date.now()}`;
    const { adminQuery } = await import("../../lib/db/admin-query");
    await adminQuery(base.toString(), `CREATE DATABASE "${name}"`);
    try {
      base.pathname = `/${name}`;
      const r = sh('psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -f app/audit/migrate.sql && psql "$DATABASE_URL" -tAc "SELECT count(*) FROM _canopy_migrations"', { DATABASE_URL: base.toString() });
      expect(r.code, r.stderr).toBe(0);
      expect(Number(r.stdout.trim())).toBeGreaterThan(0);
    } finally {
      base.pathname = "/postgres";
      await adminQuery(process.env.DATABASE_URL!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});

test.describe("seed 000 §6 production add-ons", () => {
  test("§6A cost estimator: the curl as written (no content type) answers the estimate", () => {
    const TOKEN = canopy(["mint-token", "--tenant", "demo-tenant", "--subject", "agent-42", "--roles", "agent", "--ttl", "600"]).stdout.trim();
    const r = run(`curl -s -X POST http://localhost:8080/mcp -H "Authorization: Bearer $TOKEN" \\
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cloud.estimate","arguments":{"provider":"aws","action":"ec2.run_instances","units":10}}}' | jq .`, { TOKEN });
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.result.isError ?? false).toBe(false);
    expect(JSON.stringify(body.result)).toMatch(/estimated_cost_usd/);
  });

  test("§6B policy simulator: the curl as written decides `approval` with a trace", () => {
    const TOKEN = adminToken();
    const r = run(`curl -s -X POST http://localhost:8080/v1/policy/simulate \\
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
  -d '{"tool":"cloud.ops","arguments":{"provider":"aws","resource":"ec2","action":"run_instances","estimated_cost_usd":75}}' | jq .`, { TOKEN });
    const body = JSON.parse(r.stdout);
    expect(body.decision.decision).toBe("approval");
    expect(body.decision.trace.length).toBeGreaterThan(0);
  });

  test("§6C RBAC with dev tokens: mint-token, then PUT bob's roles", () => {
    const r = run(`export TOKEN=$(npx canopy mint-token --tenant demo-tenant --subject alice --roles admin,approver --ttl 7200)
curl -s -X PUT http://localhost:8080/admin/rbac/demo-tenant/users/bob \\
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
  -d '{"roles":["approver","viewer"]}' | jq .`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tenant: "demo-tenant", user: "bob", roles: ["approver", "viewer"] });
  });

  test("§6D policy diff: -F proposed=@app/policies/samples.yaml | jq .headline", () => {
    const TOKEN = adminToken();
    const r = run(`curl -s -X POST "http://localhost:8080/v1/policy/diff" \\
  -H "Authorization: Bearer $TOKEN" \\
  -F "proposed=@app/policies/samples.yaml" | jq .headline`, { TOKEN });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.any(String));
  });

  test("§6E `make demo` runs the whole demo and passes", () => {
    test.setTimeout(420_000);
    // The demo takes ~2.5 min on a busy 2-core machine: more than sh()'s default bound.
    const r = sh("make demo", { DATABASE_URL: "", REDIS_URL: "" }, 400_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
  });
});

/** `npx canopy approvals wait …` in the background: resolves with its exit code, output and how long it took. */
function waitInBackground(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("npx", ["canopy", "approvals", "wait", ...args], { env: { ...process.env, CANOPY_DATA_DIR: E2E_DATA_DIR, ...env } });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, ms: Date.now() - started }));
  });
}

test.describe("seed 000 §5B Redis pub/sub notify: wait_for_resolution(pid, 10) → npx canopy approvals wait ID --timeout 10", () => {
  const file = (TOKEN: string, pid: string) =>
    JSON.parse(
      run(`curl -s -X POST http://localhost:8080/approvals/create -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  -d '{"pending_id":"${pid}","tenant":"demo-tenant","subject":"agent-42","tool":"notes.publish","required_approvals":1,"args":{"n":"${pid}"},"summary":"wait demo"}'`, { TOKEN }).stdout,
    ) as { id: string };

  test("returns as soon as the decision lands (no polling), prints the final state, exit 0 for approved and 3 for rejected", async ({ request }) => {
    const TOKEN = adminToken();
    const env = { CANOPY_URL: BASE, TOKEN };
    expect((await putMember(request, "demo-tenant", "seed-waiter", { roles: ["approver"] }, token("demo-tenant", "seed-admin", "admin"))).status()).toBe(200);
    for (const [decision, exit] of [["approved", 0], ["rejected", 3]] as const) {
      const { id } = file(TOKEN, `wait-${decision}-${Date.now()}`);
      const waiting = waitInBackground([id, "--timeout", "10"], env);
      // The CLI is connected and waiting before the decision (tsx start-up takes a moment).
      await new Promise((r) => setTimeout(r, 4000));
      expect((await signedVote(request, "demo-tenant", id, "seed-waiter", decision)).status()).toBe(200);
      const r = await waiting;
      expect(r.code, r.stdout).toBe(exit);
      expect(JSON.parse(r.stdout)).toMatchObject({ id, status: decision, timed_out: false });
    }
  });

  test("still pending when the timeout passes: the state is printed, exit 5; an unknown id exits 1", async () => {
    const TOKEN = adminToken();
    const { id } = file(TOKEN, `wait-timeout-${Date.now()}`);
    const r = canopy(["approvals", "wait", id, "--timeout", "1"], { CANOPY_URL: BASE, TOKEN });
    expect(r.code, r.stderr).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ id, status: "pending", timed_out: true });
    const missing = canopy(["approvals", "wait", "appr_doesnotexist", "--timeout", "1"], { CANOPY_URL: BASE, TOKEN });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404/);
  });
});
