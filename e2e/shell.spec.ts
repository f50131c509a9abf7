import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

test("signed-out visitors are sent to the login page", async ({ page }) => {
  await page.goto("/audit");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill("admin@canopyiq.local");
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /Email or password is not right/ })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("the admin signs in and sees the shell with every section", async ({ page, isMobile }) => {
  await signIn(page);
  await expect(page.getByText("Tenant demo-tenant: the gateway's activity and state at a glance.")).toBeVisible();
  await expect(page.getByText("Active policy")).toBeVisible();
  for (const [label, heading] of [
    ["Policies", "Policies"],
    ["Approvals", "Approvals"],
    ["Audit", "Audit"],
    ["Access", "Access"],
    ["Targets", "Targets"],
    ["Tenants", "Tenants"],
    ["Dashboard", "Dashboard"],
  ]) {
    if (isMobile) await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  }
  if (isMobile) await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
});

test("the policies page shows the active policy and its versions", async ({ page }) => {
  await signIn(page);
  await page.goto("/policies");
  await expect(page.getByRole("heading", { name: /^Active: version \d+$/ })).toBeVisible();
  await expect(page.getByText("FS-write outside jail requires dual approval").first()).toBeVisible();
  await expect(page.getByRole("table")).toContainText("all tenants");
});
