import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { parse, stringify } from "yaml";
import { E2E_OIDC_CLIENT_ID, E2E_OIDC_CLIENT_SECRET, E2E_OIDC_ISSUER, E2E_OIDC_MAPPING, E2E_OIDC_PORT } from "./e2e/oidc-constants";
import { E2E_ADMIN_PASSWORD, E2E_DATA_DIR, E2E_LOGIN_THROTTLE_WINDOW_SECONDS, E2E_OPS_ROOT, E2E_PORT, E2E_PROBE_PORT, E2E_SLACK_ENV, E2E_UPSTREAMS_PATH, E2E_VAULT_TENANT } from "./e2e/constants";

// Never download a browser: CHROMIUM_PATH, then Debian's chromium, then Playwright's own if present.
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));

const baseURL = `http://127.0.0.1:${E2E_PORT}`;

// The e2e server fronts the repository's upstreams plus the probe upstream, whose counters prove
// that a refused call never reached an upstream. Relative paths stay relative to the repository.
const upstreams = parse(readFileSync("upstreams.yaml", "utf8")) as { servers: Record<string, unknown>[] };
upstreams.servers.push({
  name: "probe",
  transport: "http",
  url: `http://127.0.0.1:${E2E_PROBE_PORT}/mcp`,
  timeout_ms: 10_000,
  tools: { http: { facts: { host: "url", method: "method", body: "body" } }, write: { facts: { path: "path", body: "content" } } },
});
// The same probe, visible to one tenant only: another tenant must see none of its resources or prompts.
upstreams.servers.push({ name: "vault", transport: "http", url: `http://127.0.0.1:${E2E_PROBE_PORT}/mcp`, timeout_ms: 10_000, tenants: [E2E_VAULT_TENANT] });
writeFileSync(E2E_UPSTREAMS_PATH, stringify(upstreams));

export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "laptop", use: { ...devices["Desktop Chrome"], viewport: { width: 1366, height: 800 } } },
    { name: "phone", use: { ...devices["Pixel 7"] }, testMatch: /shell\.spec\.ts/ },
  ],
  webServer: [
    {
      command: `npx tsx e2e/support/probe-upstream.ts ${E2E_PROBE_PORT}`,
      url: `http://127.0.0.1:${E2E_PROBE_PORT}/calls`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      // A real OpenID Provider on loopback: the SSO test signs in through its login page.
      command: `npx tsx e2e/support/oidc-provider.ts ${E2E_OIDC_PORT} ${baseURL}`,
      url: `${E2E_OIDC_ISSUER}/.well-known/openid-configuration`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      // A production build against a fresh embedded database (or DATABASE_URL when set), served as
      // `npm start` serves it: server.ts (the console through Next, /mcp through the data plane).
      // E2E_REUSE_BUILD=1 starts the production build already in .next (iterating on specs alone).
      command: `rm -rf ${E2E_DATA_DIR} && ${process.env.E2E_REUSE_BUILD === "1" ? "test -f .next/BUILD_ID" : "npx next build"} && npx tsx server.ts -p ${E2E_PORT} -H 127.0.0.1`,
      url: `${baseURL}/api/health`,
      timeout: 600_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        CANOPY_DATA_DIR: E2E_DATA_DIR,
        CANOPY_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
        NEXTAUTH_URL: baseURL,
        PORT: String(E2E_PORT),
        LOG_LEVEL: "warn",
        UPSTREAMS_PATH: E2E_UPSTREAMS_PATH,
        ...E2E_SLACK_ENV,
        LOGIN_THROTTLE_WINDOW_SECONDS: String(E2E_LOGIN_THROTTLE_WINDOW_SECONDS),
        OIDC_ISSUER: E2E_OIDC_ISSUER,
        OIDC_CLIENT_ID: E2E_OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET: E2E_OIDC_CLIENT_SECRET,
        OIDC_NAME: "Corp SSO",
        OIDC_MAPPING: E2E_OIDC_MAPPING,
        // The demo tenant may hold local ops targets, reading only below the e2e ops folder.
        OPS_GATEWAY_HOST_TENANTS: "demo-tenant",
        OPS_LOCAL_ROOTS: E2E_OPS_ROOT,
      },
    },
  ],
});
