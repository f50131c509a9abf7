import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policyCommand } from "./policy";

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await policyCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const samples = join(__dirname, "../../policies/samples.yaml");
const sampleCases = join(__dirname, "../../policies/tests/samples-cases.yaml");

describe("canopy policy test FILE --cases CASES.yaml", () => {
  const dir = mkdtempSync(join(tmpdir(), "canopy-policy-test-"));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("passes the shipped cases of the sample policy (exit 0, a line per case, a summary)", async () => {
    const r = await run("test", samples, "--cases", sampleCases);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS {2}a write outside the jail needs two secops approvers: approval by “FS-write outside jail requires dual approval”$/m);
    expect(r.out).toMatch(/^4 passed, 0 failed \(4 test cases against .*samples\.yaml\)$/m);
  });

  it.each([
    ["a wrong decision", { decision: "allow" }, /FAIL {2}c: expected allow, got approval \(rule “FS-write outside jail requires dual approval”\)/],
    ["a wrong rule", { decision: "approval", rule: "FS-write inside jail" }, /FAIL {2}c: expected rule “FS-write inside jail” to decide, decided by “FS-write outside jail requires dual approval”/],
    ["the default expected, a rule decided", { decision: "approval", rule: null }, /FAIL {2}c: expected the default to decide/],
  ])("fails on %s (exit 1)", async (_l, expected, line) => {
    const cases = file("c.yaml", `cases:\n  - name: c\n    call: { tool: fs.write, arguments: { path: /etc/x } }\n    expected: ${JSON.stringify(expected)}\n`);
    const r = await run("test", samples, "--cases", cases);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(line);
    expect(r.out).toMatch(/0 passed, 1 failed/);
  });

  it("reads context (tenant, subject, roles, at) and a bare list; --json prints the run", async () => {
    const policy = file("p.yaml", 'version: 1\ndefaults: { decision: deny }\nrules:\n  - name: "sre only"\n    match: "ops.*"\n    where: { roles_any: [sre] }\n    action: allow\n');
    const cases = file("l.yaml", "- name: sre\n  call: { tool: ops.restart }\n  roles: [sre]\n  at: 2026-01-01T00:00:00Z\n  expected: { decision: allow, rule: sre only }\n- name: dev\n  call: { tool: ops.restart }\n  roles: [dev]\n  expected: { decision: deny, rule: null }\n");
    const r = await run("test", policy, "--cases", cases, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ total: 2, passed: 2, failed: 0 });
  });

  it.each([
    ["a cases file with a bad field", "cases:\n  - name: x\n    call: { tool: a }\n    expected: { decision: maybe }\n", /cases\[0\]\.expected\.decision: expected\.decision must be allow, deny or approval/],
    ["a cases file that is not YAML", "cases: [\n", /not valid YAML/],
    ["an unknown field", "cases:\n  - name: x\n    call: { tool: a }\n    expect: { decision: deny }\n", /cases\[0\]/],
  ])("refuses %s with where and why (exit 2)", async (_l, text, msg) => {
    const r = await run("test", samples, "--cases", file("bad.yaml", text));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });

  it("refuses an invalid policy with line and column, and a missing --cases", async () => {
    expect(await run("test", file("bad-policy.yaml", "version: 1\nrules:\n  - name: x\n    action: maybe\n"), "--cases", sampleCases)).toMatchObject({ code: 2, err: expect.stringMatching(/bad-policy\.yaml:\d+:\d+: /) });
    expect(await run("test", samples)).toMatchObject({ code: 2, err: expect.stringMatching(/missing --cases/) });
  });
});
