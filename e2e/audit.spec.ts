import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { sameOrigin, signIn } from "./helpers";
import { mcpCall, token } from "./security/kit";

test("the audit explorer verifies the chain, filters, opens a record and exports", async ({ page }) => {
  // Signing in appends a `login` record; an agent-style note gives a tool to filter on.
  await signIn(page);
  const note = `e2e refund note ${Date.now()}`;
  const res = await page.request.post("/api/v1/audit", { headers: sameOrigin(page), data: { action: "refund.create", tool: "payments.refund", ok: true, note } });
  expect(res.status()).toBe(201);
  const { record } = (await res.json()) as { record: { seq: number; hash: string; prev_hash: string } };

  await page.goto("/audit");
  await expect(page.getByRole("heading", { level: 1, name: "Audit" })).toBeVisible();
  const table = page.getByRole("table", { name: "Audit records" });
  await expect(table.getByRole("row").filter({ hasText: "console sign-in" }).first()).toBeVisible();
  await expect(table.getByRole("row").filter({ hasText: note })).toBeVisible();

  // Verify chain: the server recomputes every hash and link.
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Chain verified: \d+ records/ })).toBeVisible();

  // Filter by a tool glob: only the note is left.
  await page.getByLabel("Tool", { exact: true }).fill("payments.*");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row").filter({ hasText: "console sign-in" })).toHaveCount(0);
  await expect(table.getByRole("row").filter({ hasText: note })).toHaveCount(1);

  // Open it: arguments / details and its chain links.
  await table.getByRole("row").filter({ hasText: note }).click();
  const drawer = page.getByRole("dialog", { name: `Record #${record.seq}` });
  await expect(drawer).toBeVisible();
  await expect(drawer.getByText("payments.refund")).toBeVisible();
  await expect(drawer.getByLabel("Details")).toContainText("refund.create");
  await expect(drawer.getByText(record.hash)).toBeVisible();
  await expect(drawer.getByText(record.prev_hash)).toBeVisible();

  // Follow the chain back one link: the previous record's hash is this one's prev_hash.
  await drawer.getByRole("button", { name: "← Previous record" }).click();
  const previous = page.getByRole("dialog", { name: `Record #${record.seq - 1}` });
  await expect(previous).toBeVisible();
  await expect(previous.getByRole("region", { name: "Chain links" }).getByText(record.prev_hash)).toBeVisible();
  await previous.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // Export the filtered view: a JSONL file with the header, the record and a signed head.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export JSONL" }).click()]);
  const lines = readFileSync((await download.path())!, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: "header", format: "canopyiq-audit-export", partial: true });
  expect(lines.filter((l) => l.type === "record").map((l) => l.seq)).toEqual([record.seq]);
  expect(lines.at(-1)).toMatchObject({ type: "head" });
});

test("the audit API refuses another tenant and verifies over HTTP", async ({ page }) => {
  await signIn(page);
  const other = await page.request.get("/api/v1/audit?tenant=someone-else");
  expect(other.status()).toBe(403);
  expect((await other.json()).error.code).toBe("forbidden");
  const verify = await page.request.get("/api/v1/audit/verify");
  expect(verify.status()).toBe(200);
  expect(await verify.json()).toMatchObject({ ok: true });
  const cps = await page.request.get("/api/v1/audit/checkpoints");
  expect(await cps.json()).toMatchObject({ checkpoints: expect.any(Array), public_key: expect.stringContaining("PUBLIC KEY") });
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

/** An allowed call whose upstream fails (the file does not exist): its trace id. */
async function failedUpstreamCall(page: Page): Promise<string> {
  const answer = await mcpCall(page.request, token("demo-tenant", "agent-audit", "agent"), "fs.read", { path: `/sandbox/tmp/missing-${randomBytes(4).toString("hex")}.txt` });
  expect(answer.body.result?.isError).toBe(true);
  const trace = (answer.body.result?._meta?.canopyiq as { trace_id: string }).trace_id;
  // The outcome record is written just after the answer.
  await expect.poll(async () => (await (await page.request.get(`/api/v1/audit?trace_id=${trace}&kind=tool_result`)).json()).records.length).toBe(1);
  return trace;
}

test("a failed upstream result reads 'allow · upstream error'; tool_result is a kind to filter on; hashes fit with a copy button; UTC dates", async ({ page }) => {
  await signIn(page);
  const trace = await failedUpstreamCall(page);
  await page.goto("/audit");
  await page.getByLabel("Kind").selectOption("tool_result");
  await page.getByLabel("Trace ID").fill(trace);
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(new RegExp(`kind=tool_result.*trace_id=${trace}|trace_id=${trace}.*kind=tool_result`));
  const table = page.getByRole("table", { name: "Audit records" });
  const row = table.getByRole("row").filter({ hasText: "fs.read" });
  await expect(row).toHaveCount(1);
  await expect(row.getByText("allow · upstream error")).toBeVisible();
  await expect(row.getByRole("cell", { name: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/ })).toBeVisible();

  // The filtered view is a URL: reloading it keeps the filters.
  await page.reload();
  await expect(page.getByLabel("Kind")).toHaveValue("tool_result");
  await expect(table.getByRole("row").filter({ hasText: "fs.read" })).toHaveCount(1);

  await table.getByRole("row").filter({ hasText: "fs.read" }).click();
  const drawer = page.getByRole("dialog", { name: /Record #\d+/ });
  await expect(drawer.getByText("allow · upstream error")).toBeVisible();
  await expect(drawer.getByText("tool_error")).toBeVisible();
  // A 64-character hash is shortened to fit the drawer (whole in its title) and can be copied.
  const hash = drawer.getByRole("region", { name: "Chain links" }).locator("[data-full]").last();
  const full = await hash.getAttribute("data-full");
  expect(full).toMatch(/^[0-9a-f]{64}$/);
  expect(await hash.getAttribute("title")).toBe(full);
  await expect(drawer.getByRole("button", { name: "Copy hash" })).toBeVisible();
  expect(await drawer.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "audit-drawer-laptop");
});

test("at 390 px the audit table keeps the decision column in view", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await failedUpstreamCall(page);
  await page.goto("/audit?kind=tool_result&outcome=error");
  const table = page.getByRole("table", { name: "Audit records" });
  const header = table.getByRole("columnheader", { name: "Decision" });
  await expect(header).toBeVisible();
  const box = (await header.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  const badge = table.getByText("allow · upstream error").first();
  await expect(badge).toBeVisible();
  const b = (await badge.boundingBox())!;
  expect(b.x + b.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "audit-phone");
  await ctx.close();
});
