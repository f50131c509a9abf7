import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { generateKeyPair, sign } from "@/lib/signing";
import { loadStartupPolicy } from "./startup";

const dir = mkdtempSync(path.join(tmpdir(), "canopy-startup-"));
const samples = readFileSync("policies/samples.yaml", "utf8");
const keys = generateKeyPair();
const other = generateKeyPair();
const saved = { ...process.env };

function setup(files: { policy?: string; sig?: string | null }, vars: Record<string, string | undefined>) {
  const policyPath = path.join(dir, `p-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(policyPath, files.policy ?? samples);
  if (files.sig !== null) writeFileSync(`${policyPath}.sig`, files.sig ?? sign(Buffer.from(files.policy ?? samples), keys.privateKey));
  for (const k of ["POLICY_REQUIRE_SIGNATURE", "POLICY_PUBLIC_KEY_B64", "POLICY_SIG_PATH"]) delete process.env[k];
  Object.assign(process.env, { POLICY_PATH: policyPath, ...vars });
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  resetEnvForTests();
  return policyPath;
}

afterEach(() => {
  process.env = { ...saved };
  resetEnvForTests();
});

describe("the policy loaded at start", () => {
  test("unsigned policy without signing settings loads, marked unverified", () => {
    setup({ sig: null }, {});
    expect(loadStartupPolicy()).toMatchObject({ verified: false, signature: null });
  });

  test("a signed policy with the right key loads verified (seed 000 §2)", () => {
    const p = setup({}, { POLICY_REQUIRE_SIGNATURE: "true", POLICY_PUBLIC_KEY_B64: keys.publicKey });
    process.env.POLICY_SIG_PATH = `${p}.sig`;
    resetEnvForTests();
    expect(loadStartupPolicy()).toMatchObject({ verified: true });
  });

  test.each([
    ["tampered YAML (a flipped byte)", { policy: samples, sig: sign(Buffer.from(samples.replace("deny", "dany")), keys.privateKey) }, /refusing to load .*bad_signature/],
    ["an appended rule", { policy: `${samples}\n  - name: sneaky\n    match: "*"\n    action: allow\n`, sig: sign(Buffer.from(samples), keys.privateKey) }, /refusing to load/],
    ["a signature from another key", { sig: sign(Buffer.from(samples), other.privateKey) }, /refusing to load .*bad_signature/],
    ["a truncated signature", { sig: sign(Buffer.from(samples), keys.privateKey).slice(0, 40) }, /refusing to load/],
    ["a hex-encoded signature", { sig: "ab".repeat(64) }, /refusing to load/],
    ["a stripped signature file", { sig: null }, /signature file .* does not exist/],
  ])("refuses %s when a signature is required", (_label, files, pattern) => {
    setup(files as { policy?: string; sig?: string | null }, { POLICY_REQUIRE_SIGNATURE: "true", POLICY_PUBLIC_KEY_B64: keys.publicKey });
    expect(() => loadStartupPolicy()).toThrow(pattern);
  });

  test("any signing setting makes the signature mandatory", () => {
    setup({ sig: null }, { POLICY_PUBLIC_KEY_B64: keys.publicKey });
    expect(() => loadStartupPolicy()).toThrow(/does not exist/);
    setup({}, { POLICY_REQUIRE_SIGNATURE: "true" });
    expect(() => loadStartupPolicy()).toThrow(/POLICY_PUBLIC_KEY_B64 is not set/);
  });

  test("an invalid policy stops start-up with line and column", () => {
    setup({ policy: "version: 1\nrules:\n  - name: x\n    match: a\n    action: aprove\n", sig: null }, {});
    expect(() => loadStartupPolicy()).toThrow(/line 5, column \d+: .*aprove/);
  });

  test("a missing file is named", () => {
    setup({ sig: null }, {});
    process.env.POLICY_PATH = path.join(dir, "nope.yaml");
    resetEnvForTests();
    expect(() => loadStartupPolicy()).toThrow(/policy file not found/);
  });
});

describe("POLICY_PATH pointing at an AegisMCP or TailOps file (seed 004 POLICY_PATH=/app/config/policy.yml)", () => {
  test.each([
    ["AegisMCP v1", "policies/examples/aegis-v1.yaml"],
    ["AegisMCP v2", "policies/examples/aegis-v2.yaml"],
    ["TailOps v2", "config/policy-examples/production-security-focused.yaml"],
  ])("a %s file is converted at load and says so", (format, file) => {
    setup({ policy: readFileSync(file, "utf8"), sig: null }, {});
    const p = loadStartupPolicy();
    expect(p.converted).toMatchObject({ from: format });
    expect(p.yaml).toMatch(/^version: 1/m);
  });

  test("a canonical file is not converted", () => {
    setup({ sig: null }, {});
    expect(loadStartupPolicy().converted).toBeUndefined();
  });

  test("with signatures required, a foreign-format file is refused: sign the converted form", () => {
    const aegis = readFileSync("policies/examples/aegis-v1.yaml", "utf8");
    setup({ policy: aegis }, { POLICY_REQUIRE_SIGNATURE: "true", POLICY_PUBLIC_KEY_B64: keys.publicKey });
    expect(() => loadStartupPolicy()).toThrow(/AegisMCP v1 policy and policy signatures are required: convert it first/);
  });
});
