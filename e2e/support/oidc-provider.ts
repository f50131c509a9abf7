/**
 * A real OpenID Provider (the `oidc-provider` package) on loopback for the SSO e2e test, with its
 * development login and consent pages. Accounts are fixed: `olga` (group secops, verified email),
 * `ivan` (an invited address, verified), `mallory` (claims the admin's address, unverified).
 *
 *   npx tsx e2e/support/oidc-provider.ts PORT APP_URL
 */
import Provider from "oidc-provider";
import { E2E_OIDC_CLIENT_ID, E2E_OIDC_CLIENT_SECRET, OIDC_ACCOUNTS } from "../oidc-constants";

const port = Number(process.argv[2]);
const app = process.argv[3];
if (!port || !app) throw new Error("usage: oidc-provider.ts PORT APP_URL");

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: E2E_OIDC_CLIENT_ID,
      client_secret: E2E_OIDC_CLIENT_SECRET,
      redirect_uris: [`${app}/api/auth/callback/oidc`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: { openid: ["sub", "groups"], email: ["email", "email_verified"], profile: ["name"] },
  // next-auth reads the ID token's claims (not userinfo), so they are put in it.
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => {
    const account = OIDC_ACCOUNTS[id as keyof typeof OIDC_ACCOUNTS];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  cookies: { keys: ["e2e-oidc-provider-cookie-key-6d2f"] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1");
