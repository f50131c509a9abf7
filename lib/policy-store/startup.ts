import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { formatValidationError, migratePolicy, parsePolicy } from "@/lib/policy";
import { verify } from "@/lib/signing";

export class StartupPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupPolicyError";
  }
}

export interface StartupPolicy {
  path: string;
  yaml: string;
  signature: string | null;
  verified: boolean;
  /** Set when the file is an AegisMCP or TailOps policy, converted at load (yaml is then the converted form). */
  converted?: { from: string; warnings: string[] };
}

const FORMAT_NAMES: Record<string, string> = { "aegis-v1": "AegisMCP v1", "aegis-v2": "AegisMCP v2", "tailops-v2": "TailOps v2" };

/**
 * Reads POLICY_PATH and refuses anything that must not run: a policy that does not validate, and,
 * when any signing setting is present, a policy whose signature is missing or does not verify.
 */
export function loadStartupPolicy(): StartupPolicy {
  const e = env();
  const file = path.resolve(/* turbopackIgnore: true */ e.POLICY_PATH);
  if (!existsSync(file)) throw new StartupPolicyError(`POLICY_PATH: policy file not found: ${file}`);
  const bytes = readFileSync(file);
  let yaml = bytes.toString("utf8");
  let converted: StartupPolicy["converted"];

  let parsed = parsePolicy(yaml);
  if (!parsed.ok) {
    // Seed 004 points POLICY_PATH at an AegisMCP file; seed 002's TailOps files work the same way.
    const m = migratePolicy(yaml);
    if (m.format in FORMAT_NAMES) {
      if (!m.ok) {
        throw new StartupPolicyError(`policy ${e.POLICY_PATH} is a ${FORMAT_NAMES[m.format]} policy that cannot be converted:\n${m.errors.slice(0, 10).map((x) => `    ${formatValidationError(x)}`).join("\n")}`);
      }
      converted = { from: FORMAT_NAMES[m.format], warnings: m.warnings };
      yaml = m.yaml;
      parsed = parsePolicy(yaml);
    }
  }
  if (!parsed.ok) {
    throw new StartupPolicyError(
      `policy ${e.POLICY_PATH} is not valid:\n${parsed.errors.slice(0, 10).map((x) => `    ${formatValidationError(x)}`).join("\n")}`,
    );
  }

  const signing = e.POLICY_REQUIRE_SIGNATURE || Boolean(e.POLICY_PUBLIC_KEY_B64) || Boolean(e.POLICY_SIG_PATH);
  if (!signing) return { path: e.POLICY_PATH, yaml, signature: null, verified: false, ...(converted ? { converted } : {}) };
  if (converted) {
    // The signature covers the file's bytes, but the server would run (and later re-verify) the
    // converted text: sign what runs.
    throw new StartupPolicyError(
      `policy ${e.POLICY_PATH} is a ${converted.from} policy and policy signatures are required: convert it first and sign the result (npx canopy policy migrate ${e.POLICY_PATH} --backup, then npx canopy policy sign ${e.POLICY_PATH} --private-key K)`,
    );
  }

  // Any signing setting makes the signature mandatory: a half-configured server must not run unsigned.
  if (!e.POLICY_PUBLIC_KEY_B64) throw new StartupPolicyError("policy signature required but POLICY_PUBLIC_KEY_B64 is not set");
  const sigPath = e.POLICY_SIG_PATH ?? `${e.POLICY_PATH}.sig`;
  // Operator-given paths, read at start: not part of the build's output (no tracing).
  const sigFile = path.resolve(/* turbopackIgnore: true */ sigPath);
  if (!existsSync(sigFile)) {
    throw new StartupPolicyError(`policy signature required but the signature file ${sigPath} does not exist (sign with: npx canopy policy sign ${e.POLICY_PATH} --private-key K)`);
  }
  const signature = readFileSync(sigFile, "utf8").trim();
  const result = verify(bytes, signature, e.POLICY_PUBLIC_KEY_B64);
  if (!result.ok) {
    throw new StartupPolicyError(`refusing to load ${e.POLICY_PATH}: ${result.message} (${result.reason}); the policy or its signature ${sigPath} was changed or does not belong to POLICY_PUBLIC_KEY_B64`);
  }
  return { path: e.POLICY_PATH, yaml, signature, verified: true };
}
