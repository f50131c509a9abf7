import { expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";

/** The API tokens page: mint (shown once, with a copy button), list, revoke — refused on its very next use. */

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

test("an admin mints an agent token in the browser, uses it, and revokes it: the next call is 401", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/access/tokens");
  await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();
  const form = page.getByRole("region", { name: "Mint a token" });
  await form.getByLabel("Subject (the agent)").fill("agent-browser");
  await form.getByLabel("Name (optional)").fill("minted in e2e");
  await form.getByLabel("Expires after").selectOption({ label: "1 hour" });
  await form.getByRole("button", { name: "Mint token" }).click();
  const box = page.getByRole("textbox", { name: "New token value" });
  await expect(box).toBeVisible();
  const token = await box.inputValue();
  expect(token.split(".")).toHaveLength(3);
  await expect(page.getByRole("button", { name: "Copy" })).toBeVisible();
  await shot(page, "tokens-laptop");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(box).toHaveCount(0);
  // Listed without the token itself.
  expect(await page.content()).not.toContain(token);

  const auth = { authorization: `Bearer ${token}` };
  expect((await request.get("/api/v1/policy", { headers: auth })).status()).toBe(200);
  await page.reload();
  const row = page.getByRole("listitem", { name: /^Token minted in e2e / }).first();
  await expect(row.getByTestId("token-status")).toHaveText("active");
  await expect(row).not.toContainText("Last used never");

  page.once("dialog", (d) => void d.accept());
  const revoked = page.waitForResponse((r) => r.request().method() === "DELETE" && r.url().includes("/api/admin/tokens/"));
  await row.getByRole("button", { name: "Revoke" }).click();
  expect((await revoked).status()).toBe(200);
  // At once: no waiting, no retry.
  expect((await request.get("/api/v1/policy", { headers: auth })).status()).toBe(401);
  await expect(row.getByTestId("token-status")).toHaveText("revoked");
});

test("the API tokens page fits a 390 px phone", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await page.goto("/access/tokens");
  await expect(page.getByRole("region", { name: "Mint a token" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "tokens-phone");
  await ctx.close();
});
