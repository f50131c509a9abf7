import { randomBytes } from "node:crypto";
import type { Services } from "@/lib/server/types";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { hashPassword } from "@/lib/auth/passwords";
import { policyHash as hashOfPolicy } from "@/lib/policy-store/identity";
import { createVersionRolledOutToAll, latestFileVersion } from "@/lib/db/policy-versions";
import { upsertTenant } from "@/lib/db/tenants";
import { ensureMembership, ensureUser, setPasswordHash } from "@/lib/db/users";
import { publicUrl } from "@/lib/env";
import { secretsFile } from "@/lib/secrets";
import { keyFingerprints, keyMismatches, mismatchMessage } from "@/lib/secrets/fingerprint";
import { recordOrReadKeys, replaceKeys } from "@/lib/db/deployment-keys";
import { hostname } from "node:os";
import { loadStartupPolicy } from "@/lib/policy-store/startup";

export interface BootstrapReport {
  url: string;
  database: string;
  redis: string;
  tenant: string;
  adminEmail: string;
  /** Only when generated at this start (printed once). */
  generatedPassword?: string;
  passwordFile?: string;
  policyVersion?: number;
  policyFile: string;
  policyVerified: boolean;
  /** Set when POLICY_PATH is an AegisMCP or TailOps policy, converted at load. */
  policyConvertedFrom?: string;
  policyWarnings?: string[];
  secretsFile: string;
}

export const ADMIN_USER_ID = "admin";

/**
 * Start-up, idempotent: secrets, migrations, demo tenant, admin user, default policy. Several
 * processes may run it at once (migrations are locked; seeding uses upserts).
 */
export async function bootstrap(svc: Services): Promise<BootstrapReport> {
  const e = svc.env;
  // Secrets first: generated on the first start, before anything signs with them.
  void svc.secrets;
  const { prisma, sql } = await svc.db();
  await checkSharedKeys(svc, prisma);
  const policy = loadStartupPolicy();

  await upsertTenant(prisma, e.CANOPY_DEMO_TENANT, "Demo tenant");
  let generatedPassword: string | undefined;
  const password = e.CANOPY_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  const { created } = await ensureUser(prisma, {
    id: ADMIN_USER_ID,
    email: e.CANOPY_ADMIN_EMAIL,
    name: "Administrator",
    passwordHash: await hashPassword(password),
  });
  if (!created && e.CANOPY_ADMIN_PASSWORD) {
    // An explicitly configured password is the source of truth at every start.
    await setPasswordHash(prisma, ADMIN_USER_ID, await hashPassword(e.CANOPY_ADMIN_PASSWORD));
  }
  let passwordFile: string | undefined;
  if (created && !e.CANOPY_ADMIN_PASSWORD) {
    generatedPassword = password;
    passwordFile = path.resolve(e.CANOPY_DATA_DIR, "initial-admin-password");
    mkdirSync(path.dirname(passwordFile), { recursive: true });
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
  }
  await ensureMembership(prisma, e.CANOPY_DEMO_TENANT, ADMIN_USER_ID, ["admin", "policy_author", "approver"], ["secops"]);

  // The policy file is applied at start when it changed since it was last loaded (as the seed's
  // servers load their file), so editing the file and restarting rolls it out.
  let policyVersion: number | undefined;
  const policyHash = hashOfPolicy(policy.yaml);
  const lastLoaded = await latestFileVersion(prisma);
  if (!lastLoaded || lastLoaded.hash !== policyHash || lastLoaded.signature !== policy.signature) {
    const v = await createVersionRolledOutToAll(prisma, {
      yaml: policy.yaml,
      hash: policyHash,
      signature: policy.signature,
      verified: policy.verified,
      author: "system",
      message: `loaded from ${policy.path} at start`,
    });
    policyVersion = v.id;
  }

  return {
    url: publicUrl(),
    database: sql.kind === "pglite" ? `${sql.label} (embedded)` : sql.label,
    redis: svc.kv.kind === "redis" ? "redis" : "in-process (single process only)",
    tenant: e.CANOPY_DEMO_TENANT,
    adminEmail: e.CANOPY_ADMIN_EMAIL,
    generatedPassword,
    passwordFile: passwordFile ?? (existsSync(path.resolve(e.CANOPY_DATA_DIR, "initial-admin-password")) ? path.resolve(e.CANOPY_DATA_DIR, "initial-admin-password") : undefined),
    policyVersion,
    policyFile: policy.path,
    policyVerified: policy.verified,
    policyConvertedFrom: policy.converted?.from,
    policyWarnings: policy.converted?.warnings ?? [],
    secretsFile: secretsFile(e),
  };
}


/**
 * Replicas must share their keys. The first process on a database records the keys' fingerprints;
 * a later one with other keys (say, a replica that generated its own into its .data folder) stops
 * with what differs and how to fix it, before it mints a token or signs anything.
 */
async function checkSharedKeys(svc: Services, prisma: Awaited<ReturnType<Services["db"]>>["prisma"]): Promise<void> {
  const mine = keyFingerprints(svc.secrets);
  const by = `${hostname()} pid ${process.pid}`;
  if (svc.env.CANOPY_KEYS_ACCEPT_NEW) {
    await replaceKeys(prisma, mine, by, svc.clock.now());
    svc.log.warn({ recordedBy: by }, "CANOPY_KEYS_ACCEPT_NEW: this process's keys are now the deployment's; tokens and approval links made with the previous keys no longer verify");
    return;
  }
  const recorded = await recordOrReadKeys(prisma, mine, by);
  const differ = keyMismatches(mine, recorded);
  if (differ.length > 0) throw new Error(mismatchMessage(differ, recorded.recordedBy, recorded.recordedAt));
}

export function formatReport(r: BootstrapReport): string {
  const lines = [
    "",
    `  CanopyIQ is ready: ${r.url}`,
    `  database  ${r.database}`,
    `  redis     ${r.redis}`,
    `  tenant    ${r.tenant}`,
  ];
  if (r.generatedPassword) {
    lines.push(`  sign in   ${r.adminEmail} / ${r.generatedPassword}   (generated now, shown once; also in ${r.passwordFile})`);
  } else if (r.passwordFile) {
    lines.push(`  sign in   ${r.adminEmail} with the password in ${r.passwordFile}`);
  } else {
    lines.push(`  sign in   ${r.adminEmail} with CANOPY_ADMIN_PASSWORD`);
  }
  lines.push(`  API token npx canopy mint-token --tenant ${r.tenant} --subject alice --roles admin,approver --ttl 7200`);
  if (r.policyConvertedFrom) {
    lines.push(`  policy    ${r.policyFile} is a ${r.policyConvertedFrom} policy: converted at load (npx canopy policy migrate shows the result)`);
    for (const w of r.policyWarnings ?? []) lines.push(`            note: ${w}`);
  }
  if (r.policyVersion) lines.push(`  policy    ${r.policyFile} loaded as version ${r.policyVersion}${r.policyVerified ? " (signature verified)" : ""} and rolled out to all tenants`);
  lines.push("");
  return lines.join("\n");
}

