import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../constants";
import { token } from "../security/kit";
import { canopy, onE2E, sh } from "./seed-kit";

/**
 * Seed 004 (AegisMCP README): its HTTP endpoints, policies and CLI in their own words, against
 * our port with a bearer token added. `make run`, `make docker-build` and `make docker-run` are in
 * the README "Seed examples" table (a dev server, and no Docker engine on the CI machine).
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
