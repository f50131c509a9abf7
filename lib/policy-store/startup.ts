import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { formatValidationError, parsePolicy } from "@/lib/policy";
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
}

/**
 * Reads POLICY_PATH and refuses anything that must not run: a policy that does not validate, and,
 * when any signing setting is present, a policy whose signature is missing or does not verify.
 */
export function loadStartupPolicy(): StartupPolicy {
  const e = env();
  const file = path.resolve(e.POLICY_PATH);
  if (!existsSync(file)) throw new StartupPolicyError(`POLICY_PATH: policy file not found: ${file}`);
  const bytes = readFileSync(file);
  const yaml = bytes.toString("utf8");

  const parsed = parsePolicy(yaml);
  if (!parsed.ok) {
    throw new StartupPolicyError(
      `policy ${e.POLICY_PATH} is not valid:\n${parsed.errors.slice(0, 10).map((x) => `    ${formatValidationError(x)}`).join("\n")}`,
    );
  }

  const signing = e.POLICY_REQUIRE_SIGNATURE || Boolean(e.POLICY_PUBLIC_KEY_B64) || Boolean(e.POLICY_SIG_PATH);
  if (!signing) return { path: e.POLICY_PATH, yaml, signature: null, verified: false };

  // Any signing setting makes the signature mandatory: a half-configured server must not run unsigned.
  if (!e.POLICY_PUBLIC_KEY_B64) throw new StartupPolicyError("policy signature required but POLICY_PUBLIC_KEY_B64 is not set");
  const sigPath = e.POLICY_SIG_PATH ?? `${e.POLICY_PATH}.sig`;
  if (!existsSync(path.resolve(sigPath))) {
    throw new StartupPolicyError(`policy signature required but the signature file ${sigPath} does not exist (sign with: npx canopy policy sign ${e.POLICY_PATH} --private-key K)`);
  }
  const signature = readFileSync(path.resolve(sigPath), "utf8").trim();
  const result = verify(bytes, signature, e.POLICY_PUBLIC_KEY_B64);
  if (!result.ok) {
    throw new StartupPolicyError(`refusing to load ${e.POLICY_PATH}: ${result.message} (${result.reason}); the policy or its signature ${sigPath} was changed or does not belong to POLICY_PUBLIC_KEY_B64`);
  }
  return { path: e.POLICY_PATH, yaml, signature, verified: true };
}
