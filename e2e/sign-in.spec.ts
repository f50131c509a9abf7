import { expect, test } from "@playwright/test";
import { E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_PORT } from "./constants";
import { signIn } from "./helpers";

/** Console sign-in that just works: never credentials in a URL, back to the page asked for, sign-out on the same origin, a favicon. */

const leaks = (urls: string[]) => urls.filter((u) => u.includes(encodeURIComponent(E2E_ADMIN_PASSWORD)) || u.includes(E2E_ADMIN_PASSWORD) || u.includes(encodeURIComponent(E2E_ADMIN_EMAIL)));

test("signing in sends the credentials in a POST body, never in a URL", async ({ page }) => {
  const urls: string[] = [];
  const methods: string[] = [];
  page.on("request", (r) => {
    urls.push(r.url());
    if (r.postData()?.includes(encodeURIComponent(E2E_ADMIN_PASSWORD))) methods.push(r.method());
  });
  await page.goto("/login");
  await expect(page.getByRole("form", { name: "Password sign-in" })).toHaveAttribute("method", "post");
  await signIn(page);
  expect(leaks(urls)).toEqual([]);
  expect(methods).toEqual(["POST"]);
});

test("without the page's script the form cannot fall back to a GET with the password in the URL", async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(E2E_ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(E2E_ADMIN_PASSWORD);
  await page.getByLabel("Password", { exact: true }).press("Enter");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeDisabled();
  await page.waitForTimeout(500);
  expect(leaks(urls)).toEqual([]);
  expect(new URL(page.url()).search).toBe("");
  await ctx.close();
});

test("after signing in you land on the page you asked for; signing out stays on this origin and port", async ({ page }) => {
  await page.goto("/audit?kind=login");
  await expect(page).toHaveURL(/\/login\?next=%2Faudit%3Fkind%3Dlogin$/);
  await page.getByLabel("Email", { exact: true }).fill(E2E_ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(E2E_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/audit\?kind=login$/);
  await expect(page.getByRole("heading", { level: 1, name: "Audit" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`http://127.0.0.1:${E2E_PORT}/login`);
});

test("a next parameter pointing elsewhere lands on the dashboard", async ({ page }) => {
  await page.goto("/login?next=//evil.example/x");
  await page.getByLabel("Email", { exact: true }).fill(E2E_ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(E2E_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`http://127.0.0.1:${E2E_PORT}/`);
});

test("the console has a favicon", async ({ page, request }) => {
  await page.goto("/login");
  const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect(href).toBeTruthy();
  const res = await request.get(href!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toContain("image/svg+xml");
});
