import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { E2E_OPS_ROOT } from "./constants";
import { cliToken, signIn } from "./helpers";

/**
 * Issue 16 in the browser, against the production build: an admin creates a local-backend target
 * on the Targets page, tests its connection, an agent runs an ops tool on it through /mcp, and
 * the page shows that last action; the page fits a phone.
 */

const TARGET = `e2e-files-${Date.now().toString(36)}`;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

test.beforeAll(() => {
  mkdirSync(E2E_OPS_ROOT, { recursive: true });
  writeFileSync(path.join(E2E_OPS_ROOT, "hello.txt"), "hello from the e2e ops root\n");
});

test("Targets page: create a local target, test its connection, run ops.file_read through /mcp, see the last action", async ({ page, request }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Targets" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Targets" })).toBeVisible();

  const form = page.getByRole("region", { name: "New target" });
  await form.getByLabel("Id", { exact: true }).fill(TARGET);
  await form.getByLabel("Name", { exact: true }).fill("gateway files (e2e)");
  await form.getByLabel("Backend").selectOption("local");
  await form.getByLabel("Role").selectOption("development");
  await form.getByLabel("Tags (comma-separated)").fill("e2e, files");
  await form.getByLabel("Maintenance windows (one per line)").fill("mon-sun 00:00-23:59 UTC");
  await form.getByLabel("Options (JSON)").fill(JSON.stringify({ file_roots: [E2E_OPS_ROOT] }));
  const created = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/ops/targets"));
  await form.getByRole("button", { name: "Create target" }).click();
  expect((await created).status()).toBe(201);

  const row = page.getByRole("row", { name: `Target ${TARGET}` });
  await expect(row).toContainText("local");
  await expect(row).toContainText("development");
  await expect(row).toContainText("e2e, files");
  await expect(row).toContainText("No actions yet.");

  await row.getByRole("button", { name: "Test connection" }).click();
  await expect(row.getByTestId("connection-result")).toHaveText(/^Connected \(local/);

  const agent = cliToken({ subject: "agent-ops-e2e", roles: "agent" });
  const res = await request.post("/mcp", {
    headers: { authorization: `Bearer ${agent}`, accept: "application/json, text/event-stream" },
    data: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ops.file_read", arguments: { target_id: TARGET, path: path.join(E2E_OPS_ROOT, "hello.txt") } } },
  });
  const body = (await res.json()) as { result: { isError?: boolean; structuredContent: { status: string; steps: { stdout: string }[] }; _meta: { canopyiq: { decision: string; rule: string } } } };
  expect(body.result._meta.canopyiq).toMatchObject({ decision: "allow", rule: "Non-production operations" });
  expect(body.result.structuredContent.status).toBe("succeeded");
  expect(JSON.stringify(body.result.structuredContent)).toContain("hello from the e2e ops root");

  await page.reload();
  const actions = page.getByRole("row", { name: `Target ${TARGET}` }).getByTestId("last-action");
  await expect(actions.first()).toContainText("ops.file_read");
  await expect(actions.first()).toContainText("ran: succeeded (exit 0)");
  await expect(actions.nth(1)).toContainText("decided: allow");
  await shot(page, "targets-laptop");
});

test("the Targets page fits a 390 px phone", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await page.goto("/ops/targets");
  await expect(page.getByRole("row", { name: `Target ${TARGET}` })).toBeVisible();
  await expect(page.getByRole("region", { name: "New target" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "targets-phone");
  await ctx.close();
});

test("break-glass: an admin activates it with a reason, every console page shows the banner, ending it removes it", async ({ page }) => {
  await signIn(page);
  await page.goto("/ops/targets");
  const panel = page.getByRole("region", { name: "Break-glass" });
  await expect(panel).toContainText("Not active");
  await panel.getByLabel("Reason").fill("INC-e2e: web down, restart nginx");
  await panel.getByLabel(/^Minutes/).fill("15");
  await panel.getByRole("button", { name: "Activate break-glass" }).click();
  const banner = page.getByTestId("break-glass-banner");
  await expect(banner).toContainText("INC-e2e: web down, restart nginx");
  await page.goto("/audit");
  await expect(page.getByTestId("break-glass-banner")).toContainText("activated by");
  await shot(page, "break-glass-banner");
  await page.goto("/ops/targets");
  await page.getByRole("region", { name: "Break-glass" }).getByRole("button", { name: "End now" }).click();
  await expect(page.getByTestId("break-glass-banner")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Break-glass" })).toContainText("Not active");
});
