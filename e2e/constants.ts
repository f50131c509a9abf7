// The e2e server's port and data folder; E2E_PORT lets two checkouts run their suites side by side.
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
/** The probe upstream (e2e/support/probe-upstream.ts): counts every call that reaches it. */
export const E2E_PROBE_PORT = E2E_PORT + 1;
export const E2E_ADMIN_EMAIL = "admin@canopyiq.local";
// Test-only credential for the throwaway e2e database; never used outside `npm test`.
export const E2E_ADMIN_PASSWORD = "e2e-admin-password-0f3a";
export const E2E_DATA_DIR = E2E_PORT === 3100 ? ".data/e2e" : `.data/e2e-${E2E_PORT}`;
/** upstreams.yaml of the e2e server: the repository's, plus the probe upstream. */
export const E2E_UPSTREAMS_PATH = `.e2e-upstreams-${E2E_PORT}.yaml`;
/** Slack's signing secret on the e2e server: the security suite signs (and mis-signs) callbacks with it. */
export const E2E_SLACK_SIGNING_SECRET = "e2e-slack-signing-secret-5b1c";
/**
 * The e2e server's Slack app: a bot token against the fake Slack Web API that the probe server
 * serves under /slack (e2e/support/probe-upstream.ts), so approval messages, their in-place
 * updates and the App Home can be observed. Replicas get the same.
 */
export const E2E_SLACK_ENV = {
  SLACK_SIGNING_SECRET: E2E_SLACK_SIGNING_SECRET,
  SLACK_BOT_TOKEN: "xoxb-e2e-test-token",
  SLACK_API_BASE_URL: `http://127.0.0.1:${E2E_PROBE_PORT}/slack/api`,
  SLACK_APPROVAL_CHANNEL: "C0E2EAPPROVALS",
};
/** A short sign-in throttle window, so the throttling test can wait for it to end. */
export const E2E_LOGIN_THROTTLE_WINDOW_SECONDS = 30;
/** The e2e server's one folder local ops targets may read (OPS_LOCAL_ROOTS); the ops spec writes a file there. */
export const E2E_OPS_ROOT = `${process.cwd()}/.data/e2e-ops-${E2E_PORT}`;
/** The one tenant that may use the "vault" upstream (the probe again): proxy.spec proves no other tenant sees it. */
export const E2E_VAULT_TENANT = "e2e-vault-owner";
