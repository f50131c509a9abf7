import { mkdtempSync, readFileSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policyCommand, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from "./policy";

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await policyCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const samples = join(__dirname, "../../policies/samples.yaml");

describe("canopy policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "canopy-policy-"));
  const keys = join(dir, "keys");
  const file = join(dir, "samples.yaml");
  copyFileSync(samples, file);

  it("gen-key writes a 0600 private key and a base64 public key", async () => {
    expect((await run("gen-key", "--out-dir", keys)).code).toBe(0);
    expect(statSync(join(keys, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keys, PUBLIC_KEY_FILE), "utf8").trim()).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect((await run("gen-key", "--out-dir", keys)).code).toBe(2); // refuses to overwrite
  });

  it("sign writes FILE.sig; verify accepts it and refuses tampering with the reason", async () => {
    expect((await run("sign", file, "--private-key", join(keys, PRIVATE_KEY_FILE))).code).toBe(0);
    const args = [file, "--public-key", join(keys, PUBLIC_KEY_FILE), "--signature", `${file}.sig`];
    expect(await run("verify", ...args)).toMatchObject({ code: 0, out: expect.stringMatching(/^OK/) });
    writeFileSync(file, readFileSync(file, "utf8") + "# tampered\n");
    expect(await run("verify", ...args)).toMatchObject({ code: 1, err: expect.stringMatching(/bad_signature/) });
    writeFileSync(`${file}.sig`, "");
    expect(await run("verify", ...args)).toMatchObject({ code: 1, err: expect.stringMatching(/missing_signature/) });
    expect(await run("verify", file, "--public-key", join(keys, PUBLIC_KEY_FILE), "--signature", join(dir, "nope.sig"))).toMatchObject({
      code: 1,
      err: expect.stringMatching(/not found/),
    });
  });

  it("validate: 0 for a valid policy, 2 with file:line:column errors", async () => {
    expect((await run("validate", samples)).code).toBe(0);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "version: 1\nrules:\n  - name: a\n    match: fs.read\n    action: aprove\n");
    const r = await run("validate", bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:5:13: unknown action \`aprove\`; expected allow, deny or approval`);
  });

  it.each([
    ["aegis-v1.yaml", "AegisMCP v1"],
    ["aegis-v2.yaml", "AegisMCP v2"],
    ["tailops-v2.yaml", "TailOps v2"],
  ])("validate checks %s natively and names its format (seed 004)", async (name, format) => {
    const r = await run("validate", join(__dirname, "../../policies/examples", name));
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining(`is a valid ${format} policy`) });
  });

  it("validate reports a foreign file's errors with its format", async () => {
    const bad = join(dir, "bad-v2.yml");
    writeFileSync(bad, 'version: 2\nrules:\n  - match: "refunds.*"\n    decision: alow\n');
    const r = await run("validate", bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain("AegisMCP v2 policy with errors");
    expect(r.err).toMatch(/unknown decision "alow"/);
  });

  it("migrate --backup converts in place after keeping the original as FILE.bak (seed 004)", async () => {
    const original = readFileSync(join(__dirname, "../../policies/examples/aegis-v1.yaml"), "utf8");
    const f = join(dir, "policy.yml");
    writeFileSync(f, original);
    const r = await run("migrate", f, "--backup");
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining("policy.yml.bak") });
    expect(readFileSync(`${f}.bak`, "utf8")).toBe(original);
    expect((await run("validate", f)).out).toMatch(/is a valid policy/);
    // A file that cannot be converted is left alone, and no backup is written.
    const broken = join(dir, "broken.yml");
    writeFileSync(broken, 'version: 2\nrules:\n  - match: "x"\n    decision: nope\n');
    expect((await run("migrate", broken, "--backup")).code).toBe(2);
    expect(readFileSync(broken, "utf8")).toContain("decision: nope");
    expect(() => readFileSync(`${broken}.bak`)).toThrow();
  });

  it("migrate prints canonical YAML", async () => {
    const r = await run("migrate", join(__dirname, "../../policies/examples/aegis-v2.yaml"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# Migrated from AegisMCP v2/);
    expect(r.out).toContain("version: 1");
  });

  it("simulate prints the decision as JSON", async () => {
    const call = JSON.stringify({ tool: "cloud.ops", arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 } });
    const r = await run("simulate", "--policy", samples, "--call", call, "--at", "2025-10-15T10:00:00Z", "--tenant", "demo-tenant", "--roles", "admin,approver");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d).toMatchObject({ decision: "approval", rule: "High-cost cloud operations need approval", expires_at: "2025-10-15T11:00:00.000Z" });
    expect(d.trace.length).toBeGreaterThan(0);
  });

  it("simulate: exit 2 on invalid input", async () => {
    expect(await run("simulate", "--policy", samples, "--call", "{nope")).toMatchObject({ code: 2, err: expect.stringMatching(/not valid JSON/) });
    expect(await run("simulate", "--policy", samples, "--call", '{"arguments":{}}')).toMatchObject({ code: 2, err: expect.stringMatching(/tool/) });
    expect(await run("simulate", "--policy", samples, "--call", '{"tool":"a"}', "--at", "yesterday")).toMatchObject({ code: 2, err: expect.stringMatching(/ISO 8601/) });
    expect((await run("simulate", "--call", '{"tool":"a"}')).code).toBe(2);
    expect((await run("simulate", "--policy", join(dir, "missing.yaml"), "--call", '{"tool":"a"}')).code).toBe(2);
    expect((await run("frobnicate")).code).toBe(2);
    expect((await run("validate", "--bogus")).code).toBe(2);
  });
});
