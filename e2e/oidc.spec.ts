import { expect, type Page, test } from "@playwright/test";
import { bearer, token } from "./security/kit";

/**
 * Single sign-on against a real OpenID Provider (oidc-provider on loopback, started by the
 * Playwright config): through its own login and consent pages, in Chromium.
 */

async function ssoSignIn(page: Page, login: string) {
  // The provider's development pages import a web font; there is no network here.
  await page.route(/fonts\.googleapis\.com/, (r) => r.abort());
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with Corp SSO" }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  const consent = page.getByRole("button", { name: "Continue" });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
}

test("a user whose IdP group maps to approver signs in at first sight and can approve", async ({ page }) => {
  await ssoSignIn(page, "olga");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("signed-in-user")).toHaveText("Olga Secops");
  await expect(page.getByText("demo-tenant · approver")).toBeVisible();
  await page.goto("/account");
  await expect(page.getByRole("region", { name: "Your tenants" })).toContainText("demo-tenant: approver · groups secops");
  await expect(page.getByRole("region", { name: "Profile" })).toContainText("single sign-on");
});

test("an invited email signs in with SSO when the IdP verified it", async ({ page, request }) => {
  const res = await request.post("/api/admin/rbac/demo-tenant/invitations", { headers: bearer(token("demo-tenant", "admin", "admin")), data: { email: "ivan@corp.example", roles: ["viewer"] } });
  expect(res.status(), await res.text()).toBe(201);
  await ssoSignIn(page, "ivan");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByText("demo-tenant · viewer")).toBeVisible();
});

test("an IdP account claiming the admin's email without email_verified is refused", async ({ page }) => {
  await ssoSignIn(page, "mallory");
  await expect(page).toHaveURL(/\/login\?.*error=AccessDenied/);
  // Next's route announcer is an alert too: pick the form's.
  await expect(page.getByRole("alert").filter({ hasText: "Single sign-on was refused" })).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});
