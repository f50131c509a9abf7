import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";
import { bearer, token } from "./security/kit";

/** The Tenants page: a platform admin creates and suspends a tenant, sets a budget and sees spend on a chart. */

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

test("a platform admin creates a tenant, suspends it (its tokens stop working), and sets a daily budget", async ({ page, request }) => {
  const id = `ui-${randomBytes(3).toString("hex")}`;
  await signIn(page);
  await page.goto("/tenants");
  const create = page.getByRole("form", { name: "Create a tenant" });
  await create.getByLabel("Tenant id").fill(id);
  await create.getByLabel("Name").fill("Made in the browser");
  await create.getByRole("button", { name: "Create tenant" }).click();
  const row = page.getByRole("listitem", { name: `Tenant ${id}` });
  await expect(row.getByTestId("tenant-status")).toHaveText("active");

  const t = token(id, "agent-x", "viewer");
  expect((await request.get("/api/v1/policy", { headers: bearer(t) })).status()).toBe(200);
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Suspend" }).click();
  await expect(row.getByTestId("tenant-status")).toHaveText("suspended");
  await expect.poll(async () => (await request.get("/api/v1/policy", { headers: bearer(t) })).status(), { timeout: 10_000 }).toBe(401);
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row.getByTestId("tenant-status")).toHaveText("active");

  const limits = page.getByRole("form", { name: "Limits" });
  await limits.getByLabel("Daily budget (USD)").fill("25");
  await limits.getByLabel("Requests per minute").fill("600");
  await limits.getByRole("button", { name: "Save limits" }).click();
  // Saving reloads the stored configuration (the form re-renders from it): the budget shows in the usage line.
  await expect(page.getByTestId("usage-day")).toContainText("of $25.00");
  // A horizontal line's box has no height, so Playwright never calls it visible: its SVG line is there.
  const budgetLine = page.getByRole("figure", { name: "Spend vs budget" }).locator(".recharts-reference-line");
  await expect(budgetLine).toHaveCount(1);
  await expect(budgetLine.locator("line")).toHaveCount(1);
  // With no calls in the window the line is flat (zero height, never "visible"): its path is drawn.
  await expect(page.getByRole("figure", { name: "Calls per minute" }).locator(".recharts-line path").first()).toHaveAttribute("d", /^M/);
  await shot(page, "tenants-laptop");
});

test("the Tenants page fits a 390 px phone", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await page.goto("/tenants");
  await expect(page.getByRole("figure", { name: "Spend vs budget" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "tenants-phone");
  await ctx.close();
});
