import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mintToken } from "@/lib/auth/tokens";
import { bootstrap } from "@/lib/bootstrap";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { env, resetEnvForTests } from "@/lib/env";
import { installServices, services } from "@/lib/server";
import type { TestUpstream } from "@/lib/mcp/upstreams/test-server";

/**
 * The process-wide setup the data-plane tests share: a data folder with a policy and an upstreams
 * file fronting `upstream` as "tickets", a fresh database (with DATABASE_URL), the environment set
 * and the services bootstrapped, and an agent token. `teardown` puts everything back.
 */
export interface DataPlaneFixture {
  dir: string;
  db: TestDb | undefined;
  /** The environment the setup added (a `canopy gateway` child process takes it too). */
  shared: Record<string, string>;
  token: string;
  teardown(): Promise<void>;
}

export async function setUpDataPlane(opts: { label: string; upstream: TestUpstream; upstreamToken: string; policyYaml: string }): Promise<DataPlaneFixture> {
  const saved = { ...process.env };
  const dir = mkdtempSync(path.join(tmpdir(), `canopy-${opts.label}-`));
  const tokenVar = `${opts.label.toUpperCase()}_UPSTREAM_TOKEN`;
  writeFileSync(path.join(dir, "policy.yaml"), opts.policyYaml);
  writeFileSync(path.join(dir, "upstreams.yaml"), `version: 1\nservers:\n  - name: tickets\n    transport: http\n    url: ${opts.upstream.url}\n    headers: { Authorization: "Bearer \${${tokenVar}}" }\n`);
  const shared: Record<string, string> = {
    CANOPY_DATA_DIR: dir,
    POLICY_PATH: path.join(dir, "policy.yaml"),
    UPSTREAMS_PATH: path.join(dir, "upstreams.yaml"),
    LOG_LEVEL: "silent",
    CANOPY_ADMIN_PASSWORD: `${opts.label}-password-123`,
    [tokenVar]: opts.upstreamToken,
  };
  const db = env().DATABASE_URL ? await createTestDb() : undefined;
  if (db) shared.DATABASE_URL = db.url!;
  Object.assign(process.env, shared);
  resetEnvForTests();
  installServices(undefined);
  await bootstrap(services());
  const { token } = await mintToken({ tenant: env().CANOPY_DEMO_TENANT, subject: `${opts.label}-agent`, roles: ["agent"], ttlSeconds: 3600, now: Math.floor(Date.now() / 1000) }, services().tokenKeys);
  return {
    dir,
    db,
    shared,
    token,
    async teardown() {
      await services().close().catch(() => {});
      installServices(undefined);
      process.env = saved;
      resetEnvForTests();
      await db?.drop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
