import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../constants";
import { bearer, mcpCall, putMember, token } from "../security/kit";
import { canopy, onE2E, sh, startServer } from "./seed-kit";

/**
 * Seed 004 (AegisMCP README): its HTTP endpoints, MCP tools, policies, CLI, environment and make
 * targets in their own words, against our port with a bearer token added.
 */

const BASE = `http://127.0.0.1:${E2E_PORT}`;
const run = (line: string, env: Record<string, string> = {}) => sh(onE2E(line, BASE), env);
const agentToken = () => token("demo-tenant", "agent-42", ["agent", "viewer"]);

test.describe("seed 004 HTTP API (Quick Start)", () => {
  test("curl -s http://localhost:8000/health", () => {
    const r = run("curl -s http://localhost:8000/health");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok" });
  });

  test("curl -s http://localhost:8000/policy | jq .", () => {
    const r = run('curl -s http://localhost:8000/policy -H "Authorization: Bearer $TOKEN" | jq .', { TOKEN: agentToken() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: expect.any(Number), yaml: expect.stringContaining("rules:") });
  });

  test("POST /guard/check with the flat AegisMCP body: a refund under the cap is allowed, over it needs review", () => {
    const check = (cents: number) =>
      JSON.parse(
        run(`curl -s -X POST http://localhost:8000/guard/check \\
  -H "Authorization: Bearer $TOKEN" \\
  -H 'content-type: application/json' \\
  -d '{"tool":"refunds.refund","amount_cents":${cents},"op":"refund"}' | jq .`, { TOKEN: agentToken() }).stdout,
      ) as { decision: string; rule: string | null };
    expect(check(12000).decision).toBe("allow");
    expect(check(20000).decision).toBe("approval");
  });

  test("GET /policy/validate and POST /policy/migrate", () => {
    expect(JSON.parse(run('curl -s http://localhost:8000/policy/validate -H "Authorization: Bearer $TOKEN"', { TOKEN: agentToken() }).stdout)).toMatchObject({ ok: true });
    const migrated = JSON.parse(
      run('curl -s -X POST http://localhost:8000/policy/migrate -H "Authorization: Bearer $TOKEN" -H "content-type: text/yaml" --data-binary @policies/examples/aegis-v1.yaml', { TOKEN: agentToken() }).stdout,
    );
    expect(migrated).toMatchObject({ ok: true, format: "aegis-v1", yaml: expect.stringContaining("version: 1") });
  });

  test("Two-Phase Approval step 1: POST /guard/enforce over the cap opens an approval and answers its id", () => {
    const r = run(`curl -X POST http://localhost:8000/guard/enforce \\
  -H "Authorization: Bearer $TOKEN" \\
  -H 'content-type: application/json' \\
  -d '{"tool":"refunds.refund","amount_cents":20000,"op":"refund"}'`, { TOKEN: agentToken() });
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ decision: "approval", approval: { id: expect.stringMatching(/^appr_/), status: "pending" } });
  });
});

test.describe("seed 004 policies and CLI", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "seed004-"));

  test("Basic Policy (v1) and Advanced Policy (v2 DSL) as written validate natively", () => {
    for (const f of ["aegis-v1.yaml", "aegis-v2.yaml"]) {
      const r = canopy(["policy", "validate", `policies/examples/${f}`]);
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining("is a valid AegisMCP") });
    }
  });

  test("./tools/cli.py validate policy.yml → npx canopy policy validate policy.yml", () => {
    writeFileSync(path.join(dir, "policy.yml"), readFileSync("policies/examples/aegis-v1.yaml"));
    expect(sh(`npx canopy policy validate ${dir}/policy.yml`)).toMatchObject({ code: 0, stdout: expect.stringContaining("is a valid AegisMCP v1 policy") });
  });

  test("migrate policy.yml > policy_v2.yml, then validate policy_v2.yml", () => {
    const r = sh(`npx canopy policy migrate ${dir}/policy.yml > ${dir}/policy_v2.yml && npx canopy policy validate ${dir}/policy_v2.yml`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/is a valid policy/);
  });

  test("python tools/policy_migrate.py policy.yml --backup → npx canopy policy migrate policy.yml --backup", () => {
    const f = path.join(dir, "backup.yml");
    const original = readFileSync("policies/examples/aegis-v2.yaml", "utf8");
    writeFileSync(f, original);
    const r = canopy(["policy", "migrate", f, "--backup"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${f}.bak`, "utf8")).toBe(original);
    expect(canopy(["policy", "validate", f]).stdout).toMatch(/is a valid policy/);
  });

  test("LOG_LEVEL=INFO is accepted (any case); a level that does not exist is refused naming it", () => {
    const mint = "npx canopy mint-token --tenant demo-tenant --subject seed004 --roles agent --ttl 60";
    expect(sh(`LOG_LEVEL=INFO ${mint}`)).toMatchObject({ code: 0 });
    const bad = sh(`LOG_LEVEL=LOUD ${mint}`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/LOG_LEVEL/);
  });
});

/** Seed 004's curl with its placeholders filled in: `{"dry_run_id":"APPROVAL_ID","approval_code":"123456"}`. */
const completeCurl = (id: string, code: string) => `curl -X POST http://localhost:8000/approvals/complete \\
  -H "Authorization: Bearer $TOKEN" \\
  -H 'content-type: application/json' \\
  -d '{"dry_run_id":"APPROVAL_ID","approval_code":"123456"}'`.replace("APPROVAL_ID", id).replace("123456", code);

const enforceCurl = `curl -s -X POST http://localhost:8000/guard/enforce \\
  -H "Authorization: Bearer $TOKEN" \\
  -H 'content-type: application/json' \\
  -d '{"tool":"refunds.refund","amount_cents":20000,"op":"refund"}'`;

test.describe("seed 004 Two-Phase Approval (codes keep N-of-M)", () => {
  test("enforce → an approver reveals a personal code → POST /approvals/complete with it → the retry with approval_id is allowed once", async ({ request }) => {
    const agent = `seed004-agent-${Date.now()}`;
    const TOKEN = token("demo-tenant", agent, ["agent"]);
    // The sample policy sends refunds over the cap to the payments group.
    expect((await putMember(request, "demo-tenant", "seed004-pay1", { roles: ["approver"], groups: ["payments"] }, token("demo-tenant", "seed-admin", "admin"))).status()).toBe(200);
    const opened = JSON.parse(run(enforceCurl, { TOKEN }).stdout);
    expect(opened).toMatchObject({ decision: "approval", approval: { status: "pending", approver_group: "payments", required_approvals: 1 } });
    const id = opened.approval.id as string;

    // The approver's inbox button (POST /v1/approvals/{id}/code) shows their code.
    const revealed = await request.post(`/v1/approvals/${id}/code`, { headers: bearer(token("demo-tenant", "seed004-pay1", ["approver"])) });
    expect(revealed.status(), await revealed.text()).toBe(200);
    const { approval_code } = (await revealed.json()) as { approval_code: string };

    const done = run(completeCurl(id, approval_code), { TOKEN });
    expect(JSON.parse(done.stdout)).toMatchObject({ id, status: "approved", approver: "seed004-pay1", via: "code" });

    // "Response includes approval_id for tracking": the retry carries it and runs once.
    const retry = () => JSON.parse(run(enforceCurl.replace('"op":"refund"}', `"op":"refund","approval_id":"${id}"}`), { TOKEN }).stdout);
    expect(retry()).toMatchObject({ decision: "allow", approval: { id } });
    expect(retry()).toMatchObject({ decision: "deny", error: { code: "approval_already_executed" } });
  });

  test("GET /approvals answers JSON to an API client (bearer token) and the inbox page to a browser", async ({ request }) => {
    const TOKEN = token("demo-tenant", "seed004-viewer", ["viewer"]);
    const r = run('curl -s http://localhost:8000/approvals -H "Authorization: Bearer $TOKEN" | jq .', { TOKEN });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ approvals: expect.any(Array) });
    const accept = await request.get("/approvals", { headers: { accept: "application/json", ...bearer(TOKEN) } });
    expect(accept.headers()["content-type"]).toMatch(/application\/json/);
    const page = await request.get("/approvals", { headers: { accept: "text/html" }, maxRedirects: 0 });
    expect(page.headers()["content-type"] ?? "").not.toMatch(/application\/json/);
    // The browser is sent to sign in (or shown the page): never the JSON list.
    expect([200, 302, 303, 307, 308]).toContain(page.status());
  });
});

test.describe("seed 004 MCP tools under their own names", () => {
  test("tools/list shows policy_get, audit_write, require_approval, guard_check and firewall_enforce; each answers like its aegis.* tool", async ({ request }) => {
    const t = token("demo-tenant", `seed004-mcp-${Date.now()}`, ["agent"]);
    const list = await request.post("/mcp", { headers: { ...bearer(t), accept: "application/json, text/event-stream" }, data: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
    const names = ((await list.json()).result.tools as { name: string; description: string }[]).map((x) => x.name);
    for (const n of ["policy_get", "audit_write", "require_approval", "guard_check", "firewall_enforce"]) expect(names).toContain(n);

    const check = await mcpCall(request, t, "guard_check", { tool: "refunds.refund", amount_cents: 12000, op: "refund" });
    expect(JSON.parse(check.body.result!.content![0].text!)).toMatchObject({ decision: "allow" });
    const policy = await mcpCall(request, t, "policy_get", {});
    expect(policy.body.result?.isError ?? false).toBe(false);
    const note = await mcpCall(request, t, "audit_write", { action: "seed004 note", ok: true });
    expect(note.body.result?.isError ?? false).toBe(false);
  });

  test("firewall_enforce honours an approval id (no new approval per retry); require_approval completes with a code", async ({ request }) => {
    const agent = `seed004-fw-${Date.now()}`;
    const t = token("demo-tenant", agent, ["agent"]);
    const call = { tool: "refunds.refund", amount_cents: 30000, op: "refund" };
    const first = JSON.parse((await mcpCall(request, t, "firewall_enforce", call)).body.result!.content![0].text!);
    expect(first).toMatchObject({ decision: "approval", approval: { id: expect.stringMatching(/^appr_/) } });
    const id = first.approval.id as string;
    // Retried while pending: the same approval, still pending, and no second one opened.
    const pendingRetry = JSON.parse((await mcpCall(request, t, "firewall_enforce", { ...call, approval_id: id })).body.result!.content![0].text!);
    expect(pendingRetry).toMatchObject({ decision: "approval", approval: { id } });
    const mine = await request.get(`/v1/approvals?subject=${agent}`, { headers: bearer(token("demo-tenant", "seed-viewer", "viewer")) });
    expect(((await mine.json()).approvals as unknown[]).length).toBe(1);

    await putMember(request, "demo-tenant", "seed004-pay2", { roles: ["approver"], groups: ["payments"] }, token("demo-tenant", "seed-admin", "admin"));
    const code = ((await (await request.post(`/v1/approvals/${id}/code`, { headers: bearer(token("demo-tenant", "seed004-pay2", ["approver"])) })).json()) as { approval_code: string }).approval_code;
    const completed = JSON.parse((await mcpCall(request, t, "require_approval", { dry_run_id: id, approval_code: code })).body.result!.content![0].text!);
    expect(completed).toMatchObject({ approval: { id, status: "approved" } });
    const used = JSON.parse((await mcpCall(request, t, "firewall_enforce", { ...call, approval_id: id })).body.result!.content![0].text!);
    expect(used).toMatchObject({ decision: "allow", approval: { id } });
  });
});

test.describe("seed 004 Environment Variables", () => {
  test("POLICY_PATH at an AegisMCP file, AUDIT_PATH, APPROVALS_PATH, APPROVAL_CODE (legacy mode), LOG_LEVEL=INFO: tail the logs with jq", async () => {
    test.setTimeout(240_000);
    const dir = mkdtempSync(path.join(tmpdir(), "seed004-env-"));
    writeFileSync(path.join(dir, "policy.yml"), readFileSync("policies/examples/aegis-v2.yaml"));
    const server = await startServer({
      POLICY_PATH: path.join(dir, "policy.yml"),
      AUDIT_PATH: path.join(dir, "logs/audit.log"),
      APPROVALS_PATH: path.join(dir, "logs/approvals.log"),
      APPROVAL_CODE: "your-secure-code-here",
      APPROVAL_CODE_LEGACY: "true",
      LOG_LEVEL: "INFO",
    });
    try {
      expect(server.output()).toMatch(/is a AegisMCP v2 policy: converted at load|is a AegisMCP v2 policy/);
      const TOKEN = canopy(["mint-token", "--tenant", "demo-tenant", "--subject", "agent-7", "--roles", "agent", "--ttl", "600"], server.env).stdout.trim();
      const on = (line: string) => sh(line.replace(/http:\/\/localhost:8000/g, server.url), { TOKEN });
      // The v2 file: refunds over its cap fall to `match: "*"` → review: one approval, no group.
      const opened = JSON.parse(on(enforceCurl).stdout);
      expect(opened).toMatchObject({ decision: "approval", approval: { required_approvals: 1, approver_group: null } });
      // "users.export" is denied: `jq 'select(.ok == false)' audit.log` finds it.
      on(`curl -s -X POST http://localhost:8000/guard/enforce -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"tool":"users.export"}'`);
      // Legacy mode: the global APPROVAL_CODE completes a 1-approval rule that names no group.
      const done = JSON.parse(on(completeCurl(opened.approval.id, "your-secure-code-here")).stdout);
      expect(done).toMatchObject({ status: "approved", via: "code" });

      await new Promise((r) => setTimeout(r, 500)); // the copies are written after the fact
      const audit = sh(`cd ${dir}/logs && grep "refund" audit.log | jq -c . && echo --- && jq -c 'select(.ok == false)' audit.log`);
      expect(audit.code, audit.stderr).toBe(0);
      const [refunds, denied] = audit.stdout.split("---\n");
      expect(refunds).toMatch(/refunds\.refund/);
      expect(denied).toMatch(/"tool":"users\.export"/);
      const approvalsLog = sh(`cd ${dir}/logs && cat approvals.log | jq -c 'select(.status == "pending")' && echo --- && jq -r '.status' approvals.log | sort | uniq -c`);
      expect(approvalsLog.code, approvalsLog.stderr).toBe(0);
      expect(approvalsLog.stdout).toMatch(new RegExp(`"id":"${opened.approval.id}"`));
      expect(approvalsLog.stdout).toMatch(/\d+ approved/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("legacy mode off (the default) refuses the global code", () => {
    const TOKEN = token("demo-tenant", `seed004-legacy-${Date.now()}`, ["agent"]);
    const opened = JSON.parse(run(enforceCurl, { TOKEN }).stdout);
    const r = JSON.parse(run(completeCurl(opened.approval.id, "your-secure-code-here"), { TOKEN }).stdout);
    expect(r).toMatchObject({ error: { code: "invalid_approval_code" } });
  });
});

test.describe("seed 004 make targets", () => {
  test("make run serves on PORT (make -n shows the dev server command)", () => {
    const r = sh("make -n run PORT=8000");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/npx next dev -p 8000/);
  });

  test("make approvals-demo files a demo approval on the running server, to open at /ui/approvals", async ({ request }) => {
    const r = sh(`timeout 120 make approvals-demo URL=${BASE}`);
    expect(r.code, r.stderr).toBe(0);
    const id = /created approval (appr_\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeTruthy();
    expect(r.stdout).toContain(`${BASE}/ui/approvals`);
    const a = await request.get(`/v1/approvals/${id}`, { headers: bearer(token("demo-tenant", "seed-viewer", "viewer")) });
    expect(await a.json()).toMatchObject({ status: "pending", tool: "fs.write" });
    const ui = await request.get("/ui/approvals", { maxRedirects: 0 });
    expect(ui.headers().location).toMatch(/\/approvals$/);
  });

  test("make docker-build and make docker-run build and run the image; without a Docker engine they say so and print the command", () => {
    expect(sh("make -n docker-build").stdout).toMatch(/docker build -f deploy\/Dockerfile -t canopyiq-mcp \./);
    expect(sh("make -n docker-run").stdout).toMatch(/docker run --rm -p 8000:8080/);
    const noEngine = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const build = sh("make docker-build", noEngine);
    expect(build.code).not.toBe(0);
    expect(build.stdout).toMatch(/no Docker engine is reachable here[\s\S]*docker build -f deploy\/Dockerfile -t canopyiq-mcp \./);
    const run2 = sh("make docker-run", noEngine);
    expect(run2.stdout).toMatch(/docker run --rm -p 8000:8080 -v canopyiq-data:\/data canopyiq-mcp[\s\S]*curl -s http:\/\/localhost:8000\/health/);
  });
});
