import { execFileSync } from "node:child_process";
import { expect, type Page } from "@playwright/test";
import { E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_DATA_DIR } from "./constants";

/** Signs in through the real login page. */
export async function signIn(page: Page, email = E2E_ADMIN_EMAIL, password = E2E_ADMIN_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
}

/**
 * Headers for a console write through `page.request`: it shares the page's session cookie but,
 * unlike the page itself, sends no Origin, and cookie-authenticated writes must name this site
 * (the CSRF check in withAuth).
 */
export const sameOrigin = (page: Page) => ({ origin: new URL(page.url()).origin });

/** A bearer token from the real CLI, signed with the e2e server's key (its data folder). */
export function cliToken(opts: { tenant?: string; subject?: string; roles: string; ttl?: number }): string {
  return execFileSync(
    process.execPath,
    ["cli/canopy.mjs", "mint-token", "--tenant", opts.tenant ?? "demo-tenant", "--subject", opts.subject ?? "alice", "--roles", opts.roles, "--ttl", String(opts.ttl ?? 600)],
    { env: { ...process.env, CANOPY_DATA_DIR: E2E_DATA_DIR }, encoding: "utf8" },
  ).trim();
}
