import { E2E_PORT } from "./constants";

/** The e2e OpenID Provider (e2e/support/oidc-provider.ts) and how the e2e server is configured for it. */
export const E2E_OIDC_PORT = E2E_PORT + 2;
export const E2E_OIDC_ISSUER = `http://127.0.0.1:${E2E_OIDC_PORT}`;
export const E2E_OIDC_CLIENT_ID = "canopy-e2e";
// Test-only client secret of the throwaway provider.
export const E2E_OIDC_CLIENT_SECRET = "canopy-e2e-oidc-client-secret-3a9e";

export const OIDC_ACCOUNTS = {
  olga: { email: "olga@corp.example", email_verified: true, name: "Olga Secops", groups: ["secops"] },
  ivan: { email: "ivan@corp.example", email_verified: true, name: "Ivan Invited", groups: [] as string[] },
  mallory: { email: "admin@canopyiq.local", email_verified: false, name: "Mallory", groups: [] as string[] },
};

/** Group secops of the IdP → approver (approver group secops) in demo-tenant. */
export const E2E_OIDC_MAPPING = JSON.stringify([{ claim: "groups", equals: "secops", tenant: "demo-tenant", roles: ["approver"], groups: ["secops"] }]);
