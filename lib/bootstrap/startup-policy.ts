import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";

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

/** Reads POLICY_PATH. Signature checks are added by the policy-signing capability. */
export function loadStartupPolicy(): StartupPolicy {
  const e = env();
  const file = path.resolve(e.POLICY_PATH);
  if (!existsSync(file)) throw new StartupPolicyError(`POLICY_PATH: policy file not found: ${file}`);
  return { path: e.POLICY_PATH, yaml: readFileSync(file, "utf8"), signature: null, verified: false };
}
