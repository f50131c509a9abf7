import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { E2E_ADMIN_EMAIL } from "./constants";
import { signIn } from "./helpers";

/**
 * The Access page as a tenant admin uses it: invite a second approver by email, hand them the
 * one-time link, they set a password and sign in; roles, groups and the Slack link change in
 * place; the last admin cannot be removed. Screenshots at laptop and phone width are kept.
 */

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

async function noHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "the page scrolls sideways").toBeLessThanOrEqual(0);
}

test("an admin invites an approver, who sets a password through the one-time link and signs in", async ({ page, browser }) => {
  const email = `approver-${randomBytes(3).toString("hex")}@example.com`;
  await signIn(page);
  await page.goto("/access");
  await expect(page.getByRole("heading", { level: 1, name: "Access" })).toBeVisible();
  await expect(page.getByRole("listitem", { name: /^Member / }).first()).toBeVisible();

  const form = page.getByRole("region", { name: "Invite a member" });
  await form.getByLabel("Email").fill(email);
  await form.getByRole("checkbox", { name: "approver", exact: true }).check();
  await form.getByLabel("Approver groups (comma-separated)").fill("secops");
  await form.getByRole("button", { name: "Invite" }).click();
  const linkBox = page.getByRole("textbox", { name: "Invitation link value" });
  await expect(linkBox).toBeVisible();
  const link = await linkBox.inputValue();
  expect(link).toMatch(/\/invite#token=[\w-]{43}$/);
  await expect(page.getByRole("listitem", { name: `Member ${email}` })).toContainText("invitation sent");
  await shot(page, "access-laptop");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(linkBox).toHaveCount(0);

  // The invited person, in their own browser.
  const other = await browser.newContext();
  const invited = await other.newPage();
  const requested: string[] = [];
  invited.on("request", (r) => requested.push(r.url()));
  await invited.goto(link);
  await expect(invited).toHaveURL(/\/invite$/);
  await invited.getByLabel("Your name (optional)").fill("Second Approver");
  await invited.getByLabel("New password").fill("second-approver-pass-1");
  await invited.getByLabel("Repeat the password").fill("second-approver-pass-1");
  await invited.getByRole("button", { name: "Set password" }).click();
  await expect(invited.getByRole("status")).toContainText("Your password is set");
  const secret = new URL(link).hash.slice("#token=".length);
  expect(requested.filter((u) => u.includes(secret)), "the invitation secret reached a URL").toEqual([]);

  // The link works once.
  const again = await other.newPage();
  await again.goto(link);
  await again.getByLabel("New password").fill("another-password-123");
  await again.getByLabel("Repeat the password").fill("another-password-123");
  await again.getByRole("button", { name: "Set password" }).click();
  await expect(again.getByText("this invitation link was already used or has expired")).toBeVisible();

  await signIn(invited, email, "second-approver-pass-1");
  await expect(invited.getByTestId("signed-in-user")).toHaveText("Second Approver");
  await other.close();

  // Back as the admin: the member now signs in with a password; change their groups and link Slack.
  await page.reload();
  const row = page.getByRole("listitem", { name: `Member ${email}` });
  await expect(row).toContainText("password");
  await row.getByRole("button", { name: "Edit" }).click();
  await row.getByLabel("Approver groups (comma-separated)").fill("secops, finance");
  await row.getByLabel("Slack user id").fill("U0SECOND1");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.getByTestId("member-groups")).toHaveText("secops, finance");
  await expect(row).toContainText("U0SECOND1");
});

test("a bad Slack id and removing oneself as the last admin are refused with clear messages", async ({ page }) => {
  await signIn(page);
  await page.goto("/access");
  const self = page.getByRole("listitem", { name: /^Member admin/ }).first();
  await self.getByRole("button", { name: "Edit" }).click();
  await self.getByLabel("Slack user id").fill("not-a-slack-id");
  await self.getByRole("button", { name: "Save" }).click();
  await expect(self.getByRole("alert")).toContainText("expected a Slack user id");
  await self.getByRole("button", { name: "Cancel" }).click();
  page.once("dialog", (d) => void d.accept());
  await self.getByRole("button", { name: "Remove" }).click();
  await expect(self.getByRole("alert")).toContainText(/last admin of demo-tenant/);
  await expect(page.getByText(E2E_ADMIN_EMAIL).first()).toBeVisible();
});

test("the Access page fits a 390 px phone", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await page.goto("/access");
  await expect(page.getByRole("listitem", { name: /^Member / }).first()).toBeVisible();
  await noHorizontalScroll(page);
  await shot(page, "access-phone");
  await ctx.close();
});
